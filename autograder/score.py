"""Score the executed test cells: a part passes when its cell ran to the end without raising.

Unlike nbgrader's default, output on stderr (torch's warnings, say) never fails a part.
"""
import re

from . import cells

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE = 500


def _message(outcome):
    ename, evalue = outcome.get("ename", ""), ANSI.sub("", outcome.get("evalue", "")).strip()
    if ename == "NotImplementedError" and not evalue:
        evalue = "not answered yet (this part, or one it calls)"
    text = f"{ename}: {evalue}" if evalue else (ename or "the test raised an error")
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def score_parts(nb, stopped_early=None):
    """One dict per test cell, in notebook order, in the JSON contract's shape."""
    parts = []
    for cell in nb.cells:
        if not cells.is_test(cell):
            continue
        max_score = cells.points(cell)
        outcome = cell.metadata.get("autograder")
        if outcome is None:
            passed, message = False, "not run: " + (stopped_early or "the notebook stopped before this cell")
        elif outcome["status"] == "ok":
            passed, message = True, ""
        else:
            passed, message = False, _message(outcome)
        parts.append({"id": cells.grade_id(cell), "score": max_score if passed else 0.0,
                      "max_score": max_score, "passed": passed, "message": message})
    return parts
