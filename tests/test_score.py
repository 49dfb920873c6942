"""Scoring the executed test cells (no kernel): a part earns its points only when its cell ran to
the end and its probe's outputs were judged right here; the kernel is believed only about failures."""
import nbformat

from autograder import probes
from autograder.judging import same
from autograder.score import NO_RECORD, score_parts


def executed(part, status="ok", record=None, points=2, **error):
    cell = nbformat.v4.new_code_cell("")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": part, "points": points}
    if status is not None:
        cell.metadata["autograder"] = {"status": status, "ename": error.get("ename", ""), "evalue": error.get("evalue", "")}
    if record is not None:
        cell.outputs = [nbformat.v4.new_output("display_data", data={probes.MIME: {"part": part, **record}})]
    return cell


def score(*cells, reference=None, stopped_early=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("answer")] + list(cells))
    parts = {c.metadata.nbgrader["grade_id"] for c in cells}
    return {p["id"]: p for p in score_parts(nb, {p: same for p in parts}, reference or {p: 1.0 for p in parts}, stopped_early)}


def test_right_outputs_earn_the_points_and_wrong_ones_say_why():
    parts = score(executed("right", record={"data": 1.0}), executed("wrong", record={"data": 2.0}, points=3))
    assert parts["right"] == {"id": "right", "score": 2.0, "max_score": 2.0, "passed": True, "message": ""}
    assert parts["wrong"]["score"] == 0.0 and parts["wrong"]["max_score"] == 3.0
    assert parts["wrong"]["message"] == "expected 1, got 2.0"


def test_a_cell_that_failed_gets_its_error_even_with_a_right_record():
    part = score(executed("p", "error", {"data": 1.0}, ename="AssertionError", evalue="f(2) should be 4"))["p"]
    assert not part["passed"] and part["message"] == "AssertionError: f(2) should be 4"
    blank = score(executed("p", "error", ename="NotImplementedError"))["p"]
    assert "not answered yet" in blank["message"]


def test_a_cell_that_says_ok_but_sent_nothing_earns_nothing():
    assert score(executed("p"))["p"]["message"] == NO_RECORD


def test_a_probe_that_raised_is_a_failure_with_its_message():
    part = score(executed("p", record={"ename": "TypeError", "evalue": "bad operand"}))["p"]
    assert not part["passed"] and part["message"] == "TypeError: bad operand"


def test_cells_never_reached_say_why():
    part = score(executed("p", status=None), stopped_early="the notebook ran past its time limit of 5 s")["p"]
    assert part["message"] == "not run: the notebook ran past its time limit of 5 s"


def test_messages_are_short_single_lines_without_terminal_colours():
    part = score(executed("p", "error", ename="ValueError", evalue="\x1b[31mred\x1b[0m\n" + "x" * 2000))["p"]
    assert "\x1b" not in part["message"] and "\n" not in part["message"] and len(part["message"]) <= 500
