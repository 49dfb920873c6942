"""nbgrader's own commands grade this course as `python -m autograder autograde` does, once the
class folder has the nbgrader_config.py that `python -m autograder nbgrader-config` writes; and
plain nbgrader, without it, awards nothing silently (SPEC §5)."""
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

import corpus
from autograder import cells, layout
from test_class_grading import (BIGRAM_SOURCE, autograder, check_scores, class_of_40, formgrader_view, grades,
                                nbgrader_export)

pytestmark = pytest.mark.slow

NBGRADER = pathlib.Path(sys.executable).parent / "nbgrader"
CHAPTERS = ("01_micrograd", "02_bigram")

# Passes every visible test of numerical_derivative, and nothing else: it knows their answers.
HARD_CODED = '''\
def numerical_derivative(f, x, h=1e-5):
    import math
    seen = {(3.0, 1e-5): 6.0, (1.0, 1e-5): math.cos(1.0), (0.5, 1e-6): 2 * math.e, (2.0, 0.01): 12.0001}
    return seen.get((x, h), 0.0)
'''


def nbgrader(*args, cwd):
    env = {**os.environ, "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.Popen([str(NBGRADER), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(*runs):
    logs = []
    for run in runs:
        out, _ = run.communicate(timeout=1500)
        assert run.returncode == 0, out[-3000:]
        logs.append(out)
    return logs


def hard_coded():
    return corpus._answer(corpus.answered(), "numerical_derivative", HARD_CODED)


@pytest.fixture(scope="module")
def nbgrader_class(tmp_path_factory):
    """The class of 40 and a student who hard-codes the visible examples, graded by nbgrader's
    generate_assignment and autograde, configured by `autograder nbgrader-config`."""
    course = tmp_path_factory.mktemp("nbgrader-class")
    source = tmp_path_factory.mktemp("downloads") / "submissions"
    expected = class_of_40(source, str(course / "gradebook.db"))
    (source / "s41").mkdir()
    nbformat.write(hard_coded(), source / "s41" / "micrograd.ipynb")
    expected[("s41", "01_micrograd")] = (corpus.FULL - corpus.POINTS["numerical_derivative"], None)
    autograder("nbgrader-config", "--course", course, "--cell-timeout", "15", cwd=course)
    finish(*(nbgrader("generate_assignment", chapter, cwd=course) for chapter in CHAPTERS))
    autograder("collect", source, "--course", course, cwd=course)
    logs = finish(*(nbgrader("autograde", chapter, cwd=course) for chapter in CHAPTERS))  # one process each, at once
    autograder("export", "--course", course, cwd=course)
    return course, expected, logs


def test_nbgraders_autograde_gives_the_scores_ours_gives(nbgrader_class):
    course, expected, _ = nbgrader_class
    ours = grades((course / "grades.csv").read_text())
    check_scores(ours, expected)  # the expected scores are those `autograde` gives (tests/test_class_grading.py)
    assert 0 < float(ours[("s41", "01_micrograd")]["score"]) < corpus.FULL  # hard-coded: partial, never full
    theirs = nbgrader_export(course, f"sqlite:///{course / 'gradebook.db'}")
    for key, row in ours.items():
        assert float(theirs[key]["score"]) == float(row["score"]), key


def test_the_formgrader_shows_the_same_scores(nbgrader_class):
    course = nbgrader_class[0]
    ours = grades((course / "grades.csv").read_text())
    shown = formgrader_view(course, f"sqlite:///{course / 'gradebook.db'}", "01_micrograd")
    for (student, chapter), row in ours.items():
        if chapter == "01_micrograd" and row["status"] != "not submitted":
            assert shown[student]["autograded"] and shown[student]["score"] == float(row["score"]), student


def test_the_autograded_copies_and_feedback_show_verdicts_not_tests(nbgrader_class):
    course = nbgrader_class[0]
    graded = nbformat.read(course / "autograded" / "s41" / "01_micrograd" / "micrograd.ipynb", as_version=4)
    text = nbformat.writes(graded)
    assert "_autograder_collect" not in text  # none of our machinery
    failed = [cells.grade_id(c) for c in graded.cells
              if any(o.output_type == "error" and o.get("ename") == "Failed" for o in c.get("outputs", []))]
    assert failed == ["numerical_derivative"]  # each part's verdict, as its test cell's last output
    page = (course / "feedback" / "s41" / "01_micrograd" / "micrograd.html").read_text()
    assert "_probe" not in page and "BEGIN HIDDEN" not in page
    run = nbgrader("generate_feedback", "01_micrograd", "--force", f"--CourseDirectory.feedback_directory={course / 'nbf'}",
                   cwd=course)
    finish(run)
    theirs = (course / "nbf" / "s41" / "01_micrograd" / "micrograd.html").read_text()
    assert "_probe" not in theirs and "BEGIN HIDDEN" not in theirs and "Failed: " in theirs


def test_generate_assignment_releases_what_release_writes(nbgrader_class):
    course = nbgrader_class[0]
    for chapter in CHAPTERS:
        for source in layout.source_notebooks(chapter):
            theirs = nbformat.read(course / "release" / chapter / source.name, as_version=4)
            ours = nbformat.read(layout.released_path(source), as_version=4)
            assert theirs.metadata == ours.metadata
            assert [(c.cell_type, c.source, c.metadata) for c in theirs.cells] == \
                [(c.cell_type, c.source, c.metadata) for c in ours.cells]


def test_plain_nbgrader_awards_nothing_silently(tmp_path):
    """Without the course's configuration nbgrader would run the hidden blocks, call nothing in
    them and award each part whose visible asserts pass: each block's guard fails it instead."""
    shutil.copytree(BIGRAM_SOURCE.parent.parent / "01_micrograd", tmp_path / "source" / "01_micrograd")
    finish(nbgrader("generate_assignment", "01_micrograd", cwd=tmp_path))
    for student, nb in (("hard-coder", hard_coded()), ("honest", corpus.answered())):
        (tmp_path / "submitted" / student / "01_micrograd").mkdir(parents=True)
        nbformat.write(nb, tmp_path / "submitted" / student / "01_micrograd" / "micrograd.ipynb")
    finish(nbgrader("autograde", "01_micrograd", cwd=tmp_path))
    scores = nbgrader_export(tmp_path, f"sqlite:///{tmp_path / 'gradebook.db'}")
    assert float(scores[("hard-coder", "01_micrograd")]["score"]) == 0
    assert float(scores[("honest", "01_micrograd")]["score"]) == 0
    graded = (tmp_path / "autograded" / "honest" / "01_micrograd" / "micrograd.ipynb").read_text()
    assert "python -m autograder nbgrader-config" in graded  # the failure says how to grade this course
