"""Score the executed test cells. A part earns its points when its test cell ran to the end and
the outputs its probe sent were judged right, here, against the reference solution's.

The kernel's word is believed only when it says something failed: an error in the cell (a visible
test's assertion, NotImplementedError) gives the student its message. Output on stderr (torch's
warnings, say) never fails a part, unlike nbgrader's default.
"""
import re

from . import cells, probes
from .judging import verdict

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE = 500
NO_RECORD = ("the test sent no results to the grader (did the notebook stop, or change "
             "_autograder_collect or _probe?)")


def _short(text):
    text = " ".join(ANSI.sub("", text).split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def _message(outcome):
    ename, evalue = outcome.get("ename", ""), ANSI.sub("", outcome.get("evalue", "")).strip()
    if ename == "NotImplementedError" and not evalue:
        evalue = "not answered yet (this part, or one it calls)"
    return _short(f"{ename}: {evalue}" if evalue else (ename or "the test raised an error"))


def _judged(cell, outcome, judges, reference, stopped_early):
    if outcome is None:
        return False, "not run: " + (stopped_early or "the notebook stopped before this cell")
    if outcome["status"] != "ok":
        return False, _message(outcome)
    record = probes.collected(cell)
    if record is None:
        return False, NO_RECORD
    kind, value = record
    if kind == "error":
        return False, _message(value)
    part = cells.grade_id(cell)
    passed, message = verdict(judges[part], value, reference[part])
    return passed, _short(message)


def score_parts(nb, judges, reference, stopped_early=None):
    """One dict per test cell, in notebook order, in the JSON contract's shape."""
    parts = []
    for cell in nb.cells:
        if not cells.is_test(cell):
            continue
        max_score = cells.points(cell)
        passed, message = _judged(cell, cell.metadata.get("autograder"), judges, reference, stopped_early)
        parts.append({"id": cells.grade_id(cell), "score": max_score if passed else 0.0,
                      "max_score": max_score, "passed": passed, "message": message})
    return parts
