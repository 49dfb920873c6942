"""Probe records, from the kernel's encoding to the grader's plain values (no kernel: the
collector's source is run here on values a probe could return)."""
import json

import nbformat
import numpy
import pytest
import torch

from autograder import cells, probes


def collector():
    namespace = {}
    exec(probes.COLLECTOR.format(seed=7, mime=probes.MIME), namespace)
    return namespace["_autograder_collect"]


def sent(probe, part="p", monkeypatch=None):
    """The record the collector displays for a probe, as it arrives at the grader (JSON)."""
    shown = []
    import IPython.display
    original = IPython.display.display
    IPython.display.display = lambda data, raw: shown.append(json.loads(json.dumps(data)))
    try:
        collector()(part, probe)
    finally:
        IPython.display.display = original
    record, = shown
    return record[probes.MIME]


def graded_cell(part, record):
    cell = nbformat.v4.new_code_cell("")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": part, "points": 1}
    cell.outputs = [nbformat.v4.new_output("display_data", data={probes.MIME: record})]
    return cell


def test_plain_values_and_arrays_survive_the_trip():
    value = {"ints": [1, 2, 3], "float": 0.25, "text": "abc", "none": None, "flag": True,
             "nan": float("nan"), "tensor": torch.arange(6.0).reshape(2, 3),
             "array": numpy.array([[1, 2]], dtype=numpy.int64), "tuple": (1, 2), "numpy scalar": numpy.float32(0.5)}
    kind, got = probes.collected(graded_cell("p", sent(lambda seed: value)))
    assert kind == "data"
    assert got["ints"] == [1, 2, 3] and got["float"] == 0.25 and got["text"] == "abc" and got["none"] is None
    assert got["flag"] is True and got["nan"] != got["nan"] and got["tuple"] == [1, 2] and got["numpy scalar"] == 0.5
    assert isinstance(got["tensor"], torch.Tensor) and torch.equal(got["tensor"], value["tensor"])
    assert isinstance(got["array"], numpy.ndarray) and got["array"].tolist() == [[1, 2]]


def test_the_probe_gets_the_gradings_seed_and_its_errors_are_reported():
    assert probes.collected(graded_cell("p", sent(lambda seed: seed))) == ("data", 7)

    def broken(seed):
        raise NotImplementedError("not yet")
    assert probes.collected(graded_cell("p", sent(broken))) == ("error", {"ename": "NotImplementedError",
                                                                        "evalue": "not yet"})


def test_an_object_the_grader_cannot_read_is_an_error_not_a_value():
    class Sneaky(float):
        def __eq__(self, other):
            return True
    kind, got = probes.collected(graded_cell("p", sent(lambda seed: {"x": Sneaky(3.0)})))
    assert kind == "data" and type(got["x"]) is float  # read as the plain number it holds
    kind, got = probes.collected(graded_cell("p", sent(lambda seed: object())))
    assert kind == "error" and "cannot read an object of type object" in got["evalue"]


@pytest.mark.parametrize("record, why", [
    ({"__array__": ["torch", "float32", [3], "AAAAAAAAAAA="]}, "does not fit its shape"),
    ({"__array__": ["pickle", "float32", [1], "AAAAAA=="]}, "a malformed array"),
    ({"__array__": ["numpy", "object", [1], "AAAAAA=="]}, "a malformed array"),
    ({"__dict__": [["a"]]}, "a malformed dict"),
    ({"__class__": "os.system"}, "an unknown value"),
    ({"__float__": "1e400"}, "an unknown value"),
])
def test_malformed_records_are_unreadable_never_trusted(record, why):
    kind, got = probes.collected(graded_cell("p", {"part": "p", "data": record}))
    assert kind == "error" and why in got["evalue"]


def test_only_a_record_for_the_cells_own_part_counts_and_the_last_wins():
    cell = graded_cell("mine", {"part": "other", "data": 1})
    assert probes.collected(cell) is None
    cell.outputs.append(nbformat.v4.new_output("display_data", data={probes.MIME: {"part": "mine", "data": 2}}))
    cell.outputs.append(nbformat.v4.new_output("display_data", data={probes.MIME: {"part": "mine", "data": 3}}))
    assert probes.collected(cell) == ("data", 3)
    stream = nbformat.v4.new_output("stream", name="stdout", text=json.dumps({probes.MIME: {"part": "mine", "data": 9}}))
    assert probes.collected(graded_cell("mine", {"part": "x"}) | {"outputs": [stream]}) is None


def test_add_collector_defines_it_first_and_ends_every_test_cell_with_a_collection():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), graded_cell("p", {})])
    nb.cells[1].source = "assert x == 1"
    probes.add_collector(nb, 12345)
    assert nb.cells[0].metadata["autograder"] == {"added": "collector"} and "seed=12345" in nb.cells[0].source
    assert nb.cells[1].source == "x = 1"
    assert nb.cells[2].source.endswith("_autograder_collect('p', _probe)\n") and cells.grade_id(nb.cells[2]) == "p"


def test_fresh_seeds_differ():
    assert len({probes.fresh_seed() for _ in range(20)}) == 20
