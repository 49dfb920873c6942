"""Judging in the grader (no kernel: fast): `same`, a part's judge from its hidden block, the
time limit on a judge."""
import time

import nbformat
import numpy
import pytest
import torch

from autograder import judging
from autograder.judging import same


def test_same_accepts_equal_structures_within_tolerance():
    same({"a": [1, 2.0, "x", None, True], "b": torch.tensor([1.0, 2.0])},
         {"a": [1, 2.0 + 1e-9, "x", None, True], "b": torch.tensor([1.0, 2.0 + 1e-7])})
    same((1, 2), [1, 2])  # tuples arrive as lists
    same(numpy.array([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    same(float("nan"), float("nan"))


@pytest.mark.parametrize("got, want, message", [
    (1.5, 1.0, "expected 1, got 1.5"),
    ({"a": 1}, {"a": 1, "b": 2}, "missing 'b'"),
    ({"k": [1, 2, 4]}, {"k": [1, 2, 3]}, "k[2]: expected 3, got 4"),
    ([1, 2], [1, 2, 3], "expected 3 items, got 2"),
    (torch.zeros(2, 3), torch.zeros(3, 2), "expected shape (3, 2), got (2, 3)"),
    (torch.tensor([0.0, 1.0]), torch.tensor([0.0, 2.0]), "at index [1] expected 2, got 1"),
    (torch.tensor([1.0]), torch.tensor([1]), "expected whole numbers"),
    (True, 1, "expected a number, got True"),
    (1, True, "expected True, got 1"),
    ("a", "b", "expected 'b', got 'a'"),
    (None, 0.0, "expected a number, got None"),
    (0.0, None, "expected None, got 0.0"),
])
def test_same_names_the_first_difference(got, want, message):
    with pytest.raises(AssertionError) as err:
        same(got, want)
    assert message in str(err.value)


def test_same_uses_the_tolerances_it_is_given():
    same(1.001, 1.0, rtol=1e-2)
    with pytest.raises(AssertionError):
        same(1.001, 1.0, rtol=1e-4)


def test_a_part_without_a_judge_is_judged_by_same():
    assert judging.load_judge("def _probe(seed):\n    return {}\n", "p") is same


def test_a_judge_of_a_hidden_block_sees_same_and_its_own_imports():
    judge = judging.load_judge("import math\ndef _probe(seed):\n    return {}\n"
                               "def _judge(got, want):\n    same(got, want, rtol=math.inf)\n", "p")
    assert judge is not same
    judge(5.0, 1.0)  # within an infinite tolerance
    with pytest.raises(AssertionError):
        judge("x", 1.0)


def test_judges_come_from_every_test_cell_and_a_block_without_a_probe_is_the_courses_bug():
    def test_cell(gid, source):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": gid, "points": 1}
        return cell
    nb = nbformat.v4.new_notebook(cells=[test_cell("a", "### BEGIN HIDDEN TESTS\ndef _probe(seed):\n    return 1\n"
                                                       "### END HIDDEN TESTS")])
    assert judging.load_judges(nb) == {"a": same}
    nb.cells.append(test_cell("b", "assert True"))
    with pytest.raises(ValueError, match="'b' of the source has no _probe"):
        judging.load_judges(nb)


def test_verdicts_carry_the_judges_message_and_survive_a_broken_judge():
    assert judging.verdict(same, 2.0, 1.0) == (False, "expected 1, got 2.0")

    def fragile(got, want):
        return got["missing"]
    passed, message = judging.verdict(fragile, {}, {})
    assert not passed and message.startswith("unexpected outputs (KeyError")


def test_a_judge_that_computes_forever_is_stopped_by_its_cpu_time():
    def spinning(got, want):
        while True:
            try:
                sum(range(1000))
            except Exception:
                pass
    started, computed = time.monotonic(), time.process_time()
    passed, message = judging.verdict(spinning, 1, 1, seconds=1)
    assert not passed and "took longer than 1 s" in message
    # stopped after its second of computing (on a busy machine, by the wall-clock backstop at 3 s)
    assert time.process_time() - computed >= 0.9 or time.monotonic() - started >= 2.9
    assert time.monotonic() - started < 3 * judging.WALL_CLOCK_FACTOR


def test_a_judge_that_never_ends_is_stopped():
    def endless(got, want):
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # a judge cannot swallow the time limit
                pass
    started = time.monotonic()
    passed, message = judging.verdict(endless, 1, 1, seconds=1)
    assert not passed and "took longer than 1 s" in message
    assert time.monotonic() - started < 5


def test_a_quick_judge_is_untouched_by_the_limit():
    assert judging.verdict(judging.same, [1, 2.0], [1, 2.0], seconds=0.3) == (True, "")
    time.sleep(0.5)  # the timer was cancelled: no alarm arrives later


def test_a_notebooks_judge_helpers_are_loaded_with_every_part():
    def grade_cell(gid, hidden, points=1):
        cell = nbformat.v4.new_code_cell(f"# visible\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid, "points": points}
        return cell
    nb = nbformat.v4.new_notebook(cells=[
        grade_cell("judge_helpers", "TOLERANCE = 0.5\ndef close(got, want):\n    same(got, want, atol=TOLERANCE)", 0),
        grade_cell("a", "def _probe(seed):\n    return 1.0\ndef _judge(got, want):\n    close(got, want)"),
        grade_cell("b", "def _probe(seed):\n    return 1.0\ndef _judge(got, want):\n    close(got, want)")])
    judges = judging.load_judges(nb)
    assert set(judges) == {"a", "b"}  # the helpers are not a part
    for judge in judges.values():
        judge(1.4, 1.0)
        with pytest.raises(AssertionError):
            judge(1.6, 1.0)
