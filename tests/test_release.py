"""exercises/ is generated from solutions/, deterministically, and gives nothing away."""
import ast
import re
import shutil

import nbformat
import pytest

from autograder import cells, cli, judging, layout
from course.stamps import NBGRADER_GUARD
from conftest import exercise_notebooks, solution_notebooks


def test_release_check_is_clean_from_any_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["release", "--check"]) == 0, capsys.readouterr()
    assert "exercises/ is up to date" in capsys.readouterr().out


def test_release_check_names_a_stale_file_and_release_rewrites_it(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "exercises"
    shutil.copytree(layout.EXERCISES, copy)
    monkeypatch.setattr(layout, "EXERCISES", copy)  # the committed exercises stay untouched
    target = layout.released_path(solution_notebooks()[0])
    target.write_text(target.read_text().replace("NotImplementedError", "NotImplementedErr0r", 1))
    assert cli.main(["release", "--check"]) == 1
    out = capsys.readouterr()
    assert f"stale: {target} differs from what release would write" in out.out
    assert "NotImplementedErr0r" in target.read_text()  # --check writes nothing
    assert cli.main(["release"]) == 0
    assert "NotImplementedErr0r" not in target.read_text() and cli.main(["release", "--check"]) == 0


def test_every_source_has_its_release_and_nothing_else_is_released():
    expected = {layout.released_path(s) for s in solution_notebooks()}
    assert set(exercise_notebooks()) == expected


def _regions(text, begin, end):
    return re.findall(rf"### {begin}\n(.*?)### {end}", text, flags=re.S)


def _split(source, kinds):
    nb = nbformat.read(source, as_version=4)
    secret, public = set(), set()
    for cell in nb.cells:
        text = cell.source + "\n"
        for region in [r for kind in kinds for r in _regions(text, f"BEGIN {kind}", f"END {kind}")]:
            secret |= {line.strip() for line in region.splitlines() if len(line.strip()) > 25}
            text = text.replace(region, "")
        public |= {line.strip() for line in text.splitlines()}
    return secret, public


def secret_lines(source, kinds=("SOLUTION", "HIDDEN TESTS")):
    """Lines of solution code and hidden tests that a student must never see (lines that also
    stand outside those regions, such as a call a visible test makes too, are not secret)."""
    secret, public = _split(source, kinds)
    return secret - public


def public_lines(source):
    """The lines of a source notebook outside its solutions and hidden tests."""
    return _split(source, ("SOLUTION", "HIDDEN TESTS"))[1]


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_released_notebook_has_no_solution_and_no_hidden_test(source):
    released = layout.released_path(source).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released
    secrets = secret_lines(source)
    assert secrets, "the source has no solution or hidden-test lines to look for"
    visible = {line.strip() for cell in nbformat.reads(released, as_version=4).cells for line in cell.source.splitlines()}
    leaked = secrets & visible
    assert not leaked, f"released notebook shows: {sorted(leaked)[:3]}"


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_every_graded_part_has_visible_and_hidden_tests(source):
    nb = nbformat.read(source, as_version=4)
    tests = [c for c in nb.cells if cells.is_test(c)]
    assert len(tests) >= 6
    for cell in tests:
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        assert "assert" in visible, f"{cells.grade_id(cell)} has no visible test"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{cells.grade_id(cell)} has no hidden tests"
        assert cells.points(cell) > 0


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_hidden_tests_are_probes_the_grader_can_judge(source):
    """solutions/README.md: each hidden block defines _probe(seed) and, at its top level, only
    imports, definitions and assignments, so that the grader can load its judge on its own."""
    for cell in nbformat.read(source, as_version=4).cells:
        if not cells.is_test(cell):
            continue
        part, hidden = cells.grade_id(cell), cells.hidden_tests(cell)
        assert hidden.rstrip("\n").endswith(NBGRADER_GUARD), f"{part}: run `python -m course sync`"
        tree = ast.parse(hidden.replace(NBGRADER_GUARD, ""))
        allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)
        loose = [type(node).__name__ for node in tree.body if not isinstance(node, allowed)]
        assert not loose, f"{part}: the hidden block runs statements at its top level: {loose}"
        probes = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_probe"]
        assert len(probes) == 1 and len(probes[0].args.args) == 1, f"{part}: define _probe(seed) once"
        judging.load_judges(nbformat.read(source, as_version=4))  # loads here, as the grader loads it


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_judge_helpers_only_define(source):
    """A notebook's judge_helpers cell (solutions/README.md) holds only definitions, worth 0 points."""
    for cell in nbformat.read(source, as_version=4).cells:
        if cells.is_judge_helpers(cell):
            tree = ast.parse(cells.hidden_tests(cell).replace(NBGRADER_GUARD, ""))
            allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)
            assert all(isinstance(node, allowed) for node in tree.body) and cells.points(cell) == 0
