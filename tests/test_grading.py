"""`python -m autograder grade`: the JSON contract of SPEC §5 and the grading pipeline's promises,
on the real exercise notebooks and on altered copies of them."""
import json
import subprocess
import sys

import nbformat
import pytest

from autograder import cells, layout
import corpus
from conftest import ROOT, solution_notebooks

pytestmark = pytest.mark.slow

MICROGRAD_SOURCE = ROOT / "solutions" / "01_micrograd" / "micrograd.ipynb"
MICROGRAD_EXERCISE = ROOT / "exercises" / "01_micrograd" / "micrograd.ipynb"


def grade_cli(paths, *options, cwd):
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "--json", *options, *map(str, paths)],
                            capture_output=True, text=True, cwd=cwd)
    document = json.loads(result.stdout)  # exactly one JSON document on stdout
    return result.returncode, {r["notebook"]: r for r in document["results"]}


def test_every_solution_scores_full_marks_and_every_exercise_zero(tmp_path):
    sources = solution_notebooks()
    released = [layout.released_path(s) for s in sources]
    code, results = grade_cli(sources + released, "--jobs", "2", cwd=tmp_path)
    assert code == 0
    for path in sources:
        r = results[str(path)]
        assert (r["status"], r["error"]) == ("graded", None)
        assert r["score"] == r["max_score"] > 0, [p for p in r["parts"] if not p["passed"]]
        assert r["chapter"] == path.parent.name
    for path in released:
        r = results[str(path)]
        assert r["status"] == "graded" and r["score"] == 0.0
        assert r["parts"] and all(not p["passed"] and p["score"] == 0.0 for p in r["parts"])
        assert all("NotImplementedError" in p["message"] for p in r["parts"])


def write(nb, path):
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """Altered copies of the micrograd notebooks, graded in one batch: {name: result}."""
    folder = tmp_path_factory.mktemp("submissions")
    source = nbformat.read(MICROGRAD_SOURCE, as_version=4)
    blank = nbformat.read(MICROGRAD_EXERCISE, as_version=4)
    test_ids = [cells.grade_id(c) for c in source.cells if cells.is_test(c)]
    paths = {}

    nb = corpus.answered()  # a student's complete answer, written into the released notebook
    paths["answered"] = write(nb, folder / "answered.ipynb")

    noisy = nbformat.from_dict(json.loads(json.dumps(nb)))
    noisy.cells.insert(3, nbformat.v4.new_code_cell(
        "import sys, warnings\nprint('a note on stderr', file=sys.stderr)\nwarnings.warn('a warning')\nprint('scratch')"))
    for cell in noisy.cells:
        if cells.nbgrader(cell).get("solution"):
            cell.source = "import sys; print('debugging', file=sys.stderr)\n" + cell.source
    paths["stderr and warnings"] = write(noisy, folder / "noisy.ipynb")

    tampered = nbformat.from_dict(json.loads(json.dumps(blank)))
    for cell in tampered.cells:
        if cells.is_test(cell):
            cell.source = "pass"
            cell.metadata.nbgrader["points"] = 100
    paths["blank with tests edited"] = write(tampered, folder / "tampered.ipynb")

    deleted = nbformat.from_dict(json.loads(json.dumps(nb)))
    deleted.cells = [c for c in deleted.cells if not cells.is_test(c)]
    paths["answered with tests deleted"] = write(deleted, folder / "deleted.ipynb")

    deleted_blank = nbformat.from_dict(json.loads(json.dumps(blank)))
    deleted_blank.cells = [c for c in deleted_blank.cells if not cells.is_test(c)]
    paths["blank with tests deleted"] = write(deleted_blank, folder / "deleted_blank.ipynb")

    anonymous = nbformat.from_dict(json.loads(json.dumps(nb)))
    anonymous.metadata.pop("course")
    paths["renamed, no metadata"] = write(anonymous, folder / "micrograd (2).ipynb")

    stranger = nbformat.from_dict(json.loads(json.dumps(nb)))
    stranger.metadata.pop("course")
    paths["unknown chapter"] = write(stranger, folder / "essay.ipynb")

    (folder / "broken.ipynb").write_text('{"cells": [')
    paths["not a notebook"] = folder / "broken.ipynb"
    paths["missing"] = folder / "nowhere.ipynb"

    dies = nbformat.from_dict(json.loads(json.dumps(nb)))
    dies.cells.insert(3, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    paths["kernel dies"] = write(dies, folder / "dies.ipynb")

    code, results = grade_cli(list(paths.values()), "--jobs", "2", cwd=folder)
    graded = {name: results[str(path)] for name, path in paths.items()}
    graded["_exit_code"] = code
    graded["_test_ids"] = test_ids
    return graded


def test_an_answered_exercise_scores_full_marks(variants):
    r = variants["answered"]
    assert r["status"] == "graded" and r["score"] == r["max_score"] > 0
    assert [p["id"] for p in r["parts"]] == variants["_test_ids"]


def test_stderr_and_warnings_cost_nothing(variants):
    r = variants["stderr and warnings"]
    assert r["score"] == r["max_score"] > 0, [p for p in r["parts"] if not p["passed"]]


def test_edited_tests_and_points_are_restored(variants):
    r = variants["blank with tests edited"]
    assert r["score"] == 0.0 and r["max_score"] == variants["answered"]["max_score"]


def test_deleted_tests_are_reinserted(variants):
    for name, expected in (("answered with tests deleted", "full"), ("blank with tests deleted", "zero")):
        r = variants[name]
        assert [p["id"] for p in r["parts"]] == variants["_test_ids"]
        assert r["score"] == (r["max_score"] if expected == "full" else 0.0)


def test_a_notebook_without_metadata_is_identified_by_its_name(variants):
    r = variants["renamed, no metadata"]
    assert r["chapter"] == "01_micrograd" and r["score"] == r["max_score"]


@pytest.mark.parametrize("name, message", [
    ("unknown chapter", "cannot tell which chapter"),
    ("not a notebook", "is not a Jupyter notebook"),
    ("missing", "does not exist"),
    ("kernel dies", "the kernel died"),
])
def test_errors_are_one_line_results_that_stop_nothing(variants, name, message):
    r = variants[name]
    assert r["status"] == "error" and r["score"] == 0.0 and message in r["error"]
    assert "\n" not in r["error"]
    assert variants["_exit_code"] == 1


def test_cell_time_limit(tmp_path):
    nb = nbformat.read(MICROGRAD_SOURCE, as_version=4)
    tests = [c for c in nb.cells if cells.is_test(c)]
    hangs = nbformat.from_dict(json.loads(json.dumps(nb)))
    hangs.cells.insert(nb.cells.index(tests[0]), nbformat.v4.new_code_cell("while True:\n    pass"))
    slow_test = nbformat.from_dict(json.loads(json.dumps(nb)))  # the last test cell itself overruns
    slow_test.cells.insert(nb.cells.index(tests[-1]), nbformat.v4.new_code_cell(
        "import time\nget_ipython().events.register('pre_run_cell', lambda *args: time.sleep(60))"))
    paths = [write(hangs, tmp_path / "hangs.ipynb"), write(slow_test, tmp_path / "slow.ipynb")]
    code, results = grade_cli(paths, "--cell-timeout", "8", "--jobs", "2", cwd=tmp_path)
    assert code == 0
    r = results[str(paths[0])]  # the endless cell is interrupted; every part is still graded
    assert r["status"] == "graded" and r["score"] == r["max_score"]
    r = results[str(paths[1])]
    assert r["parts"][-1]["message"] == "TimeoutError: the cell ran past its time limit of 8 s"
    assert all(p["passed"] for p in r["parts"][:-1])


def test_notebook_time_limit(tmp_path):
    nb = nbformat.read(MICROGRAD_SOURCE, as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell("import time\ntime.sleep(60)"))
    path = write(nb, tmp_path / "slow.ipynb")
    code, results = grade_cli([path], "--timeout", "10", cwd=tmp_path)
    r = results[str(path)]
    assert code == 0 and r["status"] == "graded" and r["score"] == 0.0
    assert {p["message"] for p in r["parts"]} == {"not run: the notebook ran past its time limit of 10 s"}


def test_human_report_names_failures(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(MICROGRAD_EXERCISE)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    assert "FAILED: NotImplementedError" in result.stdout
    assert f"{MICROGRAD_EXERCISE} (01_micrograd): 0 / " in result.stdout


def test_bad_options_are_one_line_errors(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "--jobs", "0", "x.ipynb"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and "expected a positive number, got '0'" in result.stderr
