"""Probes: the outputs of student code, carried out of the kernel as plain data.

Every hidden-test block defines `_probe(seed)`: it calls the student's code on inputs drawn from
`seed` and returns what came out (numbers, strings, lists, dicts, tensors). Grading appends one
call to each test cell, `_autograder_collect(part, _probe)`, which sends the result as a display
output of our own MIME type. Nothing the kernel says is trusted beyond being data: it is decoded
here by a decoder that builds only plain values and tensors, and judged elsewhere (judging.py)
against what the reference solution returned for the same seed.
"""
import base64
import json
import math
import secrets

import nbformat
import numpy
import torch

from . import cells

MIME = "application/vnd.zero-to-hero-graded.probe+json"
MAX_RECORD_CHARS = 32 * 2**20

# The kernel side. It runs in the student's process, so it may be replaced or broken by student
# code: that only ever loses the student points, since what it sends is judged, not believed.
COLLECTOR = '''\
def _autograder_collect(part, probe, seed={seed}):
    """Added by the autograder: run this part's probe and send its outputs to the grader."""
    import base64, math, numbers
    from IPython.display import display

    def encode(x, depth=0):
        if depth > 40:
            raise ValueError("the outputs are nested too deeply")
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, numbers.Integral):
            return int(x)
        if isinstance(x, numbers.Real):
            x = float(x)
            return x if math.isfinite(x) else {{"__float__": repr(x)}}
        if isinstance(x, (list, tuple)):
            return [encode(v, depth + 1) for v in x]
        if isinstance(x, dict):
            return {{"__dict__": [[str(k), encode(v, depth + 1)] for k, v in x.items()]}}
        kind = type(x).__module__.split(".")[0]
        if kind == "torch":
            x = x.detach().cpu()
            if str(x.dtype) == "torch.bfloat16":
                x = x.float()
            x = x.numpy()
        elif kind != "numpy":
            raise TypeError(f"the autograder cannot read an object of type {{type(x).__name__}}")
        return {{"__array__": [kind, str(x.dtype), list(x.shape),
                              base64.b64encode(x.tobytes(order="C")).decode()]}}

    try:
        record = {{"part": part, "data": encode(probe(seed))}}
    except Exception as err:
        record = {{"part": part, "ename": type(err).__name__, "evalue": str(err)}}
    display({{"{mime}": record}}, raw=True)
'''

_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}


class BadRecord(ValueError):
    pass


def fresh_seed():
    """A seed nobody knew before this grading run: a submission cannot have hard-coded its answers."""
    return secrets.randbelow(2**31 - 1) + 1


def add_collector(nb, seed):
    """Change nb (a copy of the caller's own) so that the collector is defined first and each
    test cell ends in a collection; returns it."""
    for cell in nb.cells:
        if cells.is_test(cell):
            cell.source = cell.source.rstrip() + f"\n_autograder_collect({cells.grade_id(cell)!r}, _probe)\n"
    collector = nbformat.v4.new_code_cell(COLLECTOR.format(seed=int(seed), mime=MIME))
    collector.metadata["autograder"] = {"added": "collector"}
    nb.cells.insert(0, collector)
    return nb


def _decode(x, depth=0):
    if depth > 60:
        raise BadRecord("nested too deeply")
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, float):
        return x
    if isinstance(x, list):
        return [_decode(v, depth + 1) for v in x]
    if isinstance(x, dict) and len(x) == 1:
        (tag, value), = x.items()
        if tag == "__float__" and value in ("nan", "inf", "-inf"):
            return float(value)
        if tag == "__dict__" and isinstance(value, list):
            out = {}
            for item in value:
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                    raise BadRecord("a malformed dict")
                out[item[0]] = _decode(item[1], depth + 1)
            return out
        if tag == "__array__" and isinstance(value, list) and len(value) == 4:
            kind, dtype, shape, data = value
            if kind not in ("torch", "numpy") or dtype not in _DTYPES or not isinstance(data, str) \
                    or not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
                raise BadRecord("a malformed array")
            array = numpy.frombuffer(base64.b64decode(data, validate=True), dtype=dtype)
            if array.size != math.prod(shape):
                raise BadRecord("an array whose data does not fit its shape")
            array = array.reshape(shape).copy()
            return torch.from_numpy(array) if kind == "torch" else array
    raise BadRecord("an unknown value")


def collected(cell):
    """What a test cell's probe sent: ("data", value), ("error", {"ename", "evalue"}) or None.

    Only a record for this cell's own part counts, and the last one wins."""
    part, found = cells.grade_id(cell), None
    for output in cell.get("outputs", []):
        record = output.get("data", {}).get(MIME) if output.get("output_type") == "display_data" else None
        if isinstance(record, dict) and record.get("part") == part:
            found = record
    if found is None:
        return None
    if "data" not in found:
        return "error", {"ename": str(found.get("ename", "")), "evalue": str(found.get("evalue", ""))}
    try:
        if len(json.dumps(found["data"])) > MAX_RECORD_CHARS:
            raise BadRecord(f"more than {MAX_RECORD_CHARS // 2**20} MB")
        return "data", _decode(found["data"])
    except (BadRecord, ValueError, TypeError) as err:
        return "error", {"ename": "ValueError", "evalue": f"the outputs sent to the grader are unreadable ({err})"}
