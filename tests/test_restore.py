"""Restoring a submission's test cells from the source (no kernel): what is graded is always
the source's tests, whatever the student did to them."""
import nbformat

from autograder import cells
from autograder.restore import restore_test_cells


def cell(source, gid=None, **nbgrader):
    c = nbformat.v4.new_code_cell(source)
    if gid:
        c.metadata["nbgrader"] = {"grade_id": gid, **nbgrader}
    return c


def answer(gid, source):
    return cell(source, gid, solution=True, grade=False, locked=False)


def graded(gid, source, points=2):
    return cell(source, gid, solution=False, grade=True, locked=True, points=points)


def source_notebook():
    return nbformat.v4.new_notebook(cells=[
        cell("setup"), answer("a", "def f(): ..."), graded("test_a", "assert f() == 1\n### BEGIN HIDDEN TESTS\n..."),
        cell("notes"), answer("b", "def g(): ..."), graded("test_b", "assert g() == 2")])


def student(*edits):
    nb = nbformat.v4.new_notebook(cells=[
        cell("setup"), answer("a", "def f(): return 1"), graded("test_a", "assert f() == 1"),
        cell("notes"), answer("b", "def g(): return 2"), graded("test_b", "assert g() == 2")])
    for edit in edits:
        edit(nb)
    return nb


def by_id(nb):
    return {cells.grade_id(c): c for c in nb.cells if cells.grade_id(c)}


def test_edited_tests_and_points_come_back_as_the_source_has_them():
    def cheat(nb):
        nb.cells[2].source = "pass"
        nb.cells[2].metadata.nbgrader["points"] = 100
    restored = by_id(restore_test_cells(student(cheat), source_notebook()))
    assert restored["test_a"].source.startswith("assert f() == 1\n### BEGIN HIDDEN TESTS")
    assert cells.points(restored["test_a"]) == 2


def test_answers_stay_the_students():
    restored = by_id(restore_test_cells(student(), source_notebook()))
    assert restored["a"].source == "def f(): return 1" and restored["b"].source == "def g(): return 2"


def test_a_deleted_test_cell_is_reinserted_after_the_cell_it_follows_in_the_source():
    def delete(nb):
        del nb.cells[2]
    nb = restore_test_cells(student(delete), source_notebook())
    ids = [cells.grade_id(c) for c in nb.cells]
    assert ids == [None, "a", "test_a", None, "b", "test_b"]


def test_a_copied_test_cell_loses_its_identity_and_cannot_be_graded_twice():
    def copy_test(nb):
        nb.cells.append(graded("test_a", "print('mine')"))
    nb = restore_test_cells(student(copy_test), source_notebook())
    assert [cells.grade_id(c) for c in nb.cells].count("test_a") == 1
    assert nb.cells[-1].source == "print('mine')" and not cells.is_test(nb.cells[-1])


def test_a_test_cell_moved_before_its_answer_is_graded_in_the_students_order():
    def move(nb):
        nb.cells.insert(1, nb.cells.pop(2))
    nb = restore_test_cells(student(move), source_notebook())
    assert [cells.grade_id(c) for c in nb.cells][:3] == [None, "test_a", "a"]


def test_the_submission_itself_is_not_changed():
    nb = student(lambda nb: setattr(nb.cells[2], "source", "pass"))
    restore_test_cells(nb, source_notebook())
    assert nb.cells[2].source == "pass"


def test_hidden_tests_are_the_lines_between_the_delimiters():
    c = graded("t", "visible\n### BEGIN HIDDEN TESTS\ndef _probe(seed):\n    return 1\n### END HIDDEN TESTS\nafter")
    assert cells.hidden_tests(c) == "def _probe(seed):\n    return 1\n"
    assert cells.hidden_tests(graded("t", "visible only")) == ""


def test_a_deleted_judge_helpers_cell_comes_back_and_is_not_a_part():
    source = source_notebook()
    helpers = graded(cells.JUDGE_HELPERS, "### BEGIN HIDDEN TESTS\ndef helper(): ...\n### END HIDDEN TESTS", points=0)
    source.cells.insert(1, helpers)
    nb = restore_test_cells(student(), source)
    assert [cells.grade_id(c) for c in nb.cells][:2] == [None, cells.JUDGE_HELPERS]
    assert cells.is_judge_helpers(nb.cells[1]) and not cells.is_test(nb.cells[1])
