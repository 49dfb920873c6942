"""Grading a whole class: collect, autograde in parallel into nbgrader's gradebook (SQLite and
PostgreSQL), feedback, CSV; nbgrader's own tools agree; interrupted runs resume without loss."""
import csv
import io
import os
import pathlib
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

import corpus
from autograder import cells
from conftest import ROOT

pytestmark = pytest.mark.slow

BIGRAM_SOURCE = ROOT / "solutions" / "02_bigram" / "bigram.ipynb"
BIGRAM_EXERCISE = ROOT / "exercises" / "02_bigram" / "bigram.ipynb"
NBGRADER = pathlib.Path(sys.executable).parent / "nbgrader"


def autograder(*args, cwd, check=True):
    run = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if check:
        assert run.returncode == 0, run.stderr[-3000:]
    return run


def bigram_answered():
    return corpus.answered(BIGRAM_SOURCE, BIGRAM_EXERCISE)


def class_of_40(folder, gradebook_path):
    """40 students: the micrograd corpus, more honest micrograd notebooks, and bigram ones.
    Returns {(student, chapter): expected score}."""
    expected = {}
    variants = list(corpus.submissions(gradebook_path).items())
    for i, (name, (nb, filename, score)) in enumerate(variants):
        student = f"s{i + 1:02d}"
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / filename)
        expected[(student, "01_micrograd")] = (score, corpus.expected_message(name))
    honest = corpus.answered()
    for i in range(len(variants), 40):
        student = f"s{i + 1:02d}"
        (folder / student / "work").mkdir(parents=True)
        if i % 3 == 0:
            nbformat.write(bigram_answered(), folder / student / "work" / "bigram.ipynb")
            expected[(student, "02_bigram")] = ("full", None)
        elif i % 3 == 1:
            shutil.copy(BIGRAM_EXERCISE, folder / student / "bigram (2).ipynb")
            expected[(student, "02_bigram")] = (0, None)
        else:
            nbformat.write(honest, folder / student / "homework.ipynb")
            expected[(student, "01_micrograd")] = (corpus.FULL, None)
    return expected


def grades(text):
    return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(io.StringIO(text))}


def check_scores(rows, expected):
    missing = {key: row for key, row in rows.items() if key not in expected}
    assert all(row["status"] == "not submitted" and float(row["score"]) == 0 for row in missing.values())
    rows = {key: row for key, row in rows.items() if key in expected}
    assert set(rows) == set(expected)
    bigram_max = {float(r["max_score"]) for k, r in rows.items() if k[1] == "02_bigram"}
    assert len(bigram_max) == 1
    for key, (score, error) in expected.items():
        row = rows[key]
        assert float(row["score"]) == (max(bigram_max) if score == "full" else score), (key, row)
        assert row["status"] == ("error" if error else "graded"), (key, row)
        if error:
            assert error in row["error"]


def nbgrader_export(course, db_url):
    out = course / "nbgrader-export.csv"
    run = subprocess.run([str(NBGRADER), "export", f"--CourseDirectory.db_url={db_url}", f"--to={out}"],
                         capture_output=True, text=True, cwd=course,
                         env={**os.environ, "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ['PATH']}"})
    assert run.returncode == 0, run.stderr[-2000:]
    return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(out.open())}


def formgrader_view(course, db_url, assignment):
    """What the formgrader shows, through the API object its pages are served from."""
    os.environ["PATH"] = f"{NBGRADER.parent}{os.pathsep}{os.environ['PATH']}"
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    api = NbGraderAPI(coursedir=CourseDirectory(root=str(course), db_url=db_url))
    return {s["student"]: s for s in api.get_submissions(assignment)}


@pytest.fixture(scope="module")
def sqlite_class(tmp_path_factory):
    course = tmp_path_factory.mktemp("class")
    source = tmp_path_factory.mktemp("downloads") / "submissions"
    expected = class_of_40(source, str(course / "gradebook.db"))
    archive = shutil.make_archive(str(source.parent / "submissions"), "zip", source.parent, "submissions")
    collected = autograder("collect", archive, cwd=course)
    submitted = {p: p.read_bytes() for p in (course / "submitted").glob("*/*/*.ipynb")}
    started = time.monotonic()
    run = autograder("autograde", "--jobs", "2", "--cell-timeout", "15", cwd=course, check=False)
    seconds = time.monotonic() - started
    assert {p: p.read_bytes() for p in (course / "submitted").glob("*/*/*.ipynb")} == submitted  # nobody's was touched
    return course, expected, collected, run, seconds


def test_collect_from_a_zip(sqlite_class):
    course, expected, collected, _, _ = sqlite_class
    assert "40 notebooks in" in collected.stdout
    assert len(list((course / "submitted").glob("*/*/*.ipynb"))) == 40
    assert (course / "submitted" / "s40" / "02_bigram" / "bigram.ipynb").exists()


def test_a_class_of_40_gets_the_expected_scores(sqlite_class):
    course, expected, _, run, seconds = sqlite_class
    assert run.returncode == 1  # one notebook kills its kernel: reported, and the rest graded
    assert "graded 40 notebooks (1 could not be graded)" in run.stdout
    check_scores(grades((course / "grades.csv").read_text()), expected)
    print(f"40 submissions graded with --jobs 2 in {seconds:.0f} s")


def test_nbgrader_export_and_formgrader_agree_with_our_csv(sqlite_class):
    course = sqlite_class[0]
    ours = grades((course / "grades.csv").read_text())
    url = f"sqlite:///{course / 'gradebook.db'}"
    theirs = nbgrader_export(course, url)
    assert set(theirs) == set(ours)
    for key, row in ours.items():
        assert float(theirs[key]["score"]) == float(row["score"]) and float(theirs[key]["max_score"]) == float(row["max_score"])
    shown = formgrader_view(course, url, "01_micrograd")
    for (student, chapter), row in ours.items():
        if chapter == "01_micrograd" and row["status"] != "not submitted":
            assert shown[student]["autograded"] and shown[student]["score"] == float(row["score"])
        elif chapter == "01_micrograd":
            assert student not in shown or not shown[student]["submitted"]


def test_the_attacking_submission_changed_nobody_elses_grade_or_feedback(sqlite_class):
    course, expected = sqlite_class[:2]
    db = sqlite3.connect(course / "gradebook.db")
    assert db.execute("SELECT max(auto_score) FROM grade").fetchone()[0] <= 6
    rows = grades((course / "grades.csv").read_text())
    for (student, chapter), row in rows.items():  # every page still shows what the gradebook holds
        if row["status"] == "graded":
            page = (course / "feedback" / student / chapter).glob("*.html")
            assert f"{float(row['score']):g} / {float(row['max_score']):g}" in next(page).read_text(), (student, chapter)
    names = list(corpus.submissions())
    attacker = f"s{names.index(next(n for n in names if n.startswith('attacks the class'))) + 1:02d}"
    executed = nbformat.read(next((course / "autograded" / attacker / "01_micrograd").glob("*.ipynb")), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "attack worked" not in printed and printed.count("attack failed") >= 3, printed[:2000]


def test_feedback_pages_hold_messages_but_no_test_code(sqlite_class):
    course = sqlite_class[0]
    pages = sorted((course / "feedback").glob("*/*/*.html"))
    assert len(pages) == 40
    hidden = set()
    for source in (corpus.SOURCE, BIGRAM_SOURCE):
        for cell in nbformat.read(source, as_version=4).cells:
            hidden |= {line.strip() for line in cells.hidden_tests(cell).splitlines() if len(line.strip()) > 12}
    for page in pages:
        text = page.read_text()
        assert not [line for line in hidden if line in text], page
    wrong = (course / "feedback" / "s05" / "01_micrograd" / "micrograd.html").read_text()  # one part wrong
    assert "numerical_derivative" in wrong and "expected" in wrong and "failed" in wrong


def test_rerunning_grades_nothing_unless_forced_or_changed(sqlite_class, tmp_path):
    course = sqlite_class[0]
    again = autograder("autograde", "--jobs", "2", cwd=course, check=False)
    assert "graded 0 notebooks" in again.stdout and "40 already graded" in again.stdout
    changed = tmp_path / "late" / "s02"
    changed.mkdir(parents=True)
    nbformat.write(corpus.answered(), changed / "micrograd.ipynb")  # s02 handed in blank, then answered
    refused = autograder("collect", changed.parent, cwd=course, check=False)
    assert refused.returncode == 1 and "--replace" in refused.stderr
    autograder("collect", changed.parent, "--replace", cwd=course)
    regrade = autograder("autograde", "--jobs", "2", cwd=course, check=False)
    assert "graded 1 notebooks" in regrade.stdout
    assert float(grades((course / "grades.csv").read_text())[("s02", "01_micrograd")]["score"]) == corpus.FULL


def test_a_class_in_postgresql(postgres, tmp_path):
    """The backend stores what the grading gave (the class of 40 checks the grading itself, in SQLite)."""
    url = postgres.new_database()
    course = small_class(tmp_path, 4)
    run = autograder("autograde", "--db", url, "--jobs", "2", "--quiet", cwd=course)
    assert "graded 4 notebooks (0 could not be graded)" in run.stdout, run.stderr[-2000:]
    assert not (course / "gradebook.db").exists()
    ours = grades((course / "grades.csv").read_text())
    assert sorted(float(r["score"]) for r in ours.values()) == [0.0] * 2 + [float(corpus.FULL)] * 2
    theirs = nbgrader_export(course, url)
    assert {k: float(r["score"]) for k, r in theirs.items()} == {k: float(r["score"]) for k, r in ours.items()}


ATTACKER = "attacks the class: gradebook, feedback, submissions, neighbours"


@pytest.mark.parametrize("backend, jobs", [("sqlite", 1), ("postgresql", 1), ("postgresql", 2)])
def test_an_attacker_changes_nobody_elses_grade(postgres, tmp_path, backend, jobs):
    """The class attacker, told where the gradebook, the class folder and the database server are, graded
    between honest, wrong and blank classmates: every other student gets exactly the grade, the feedback
    and the kept submission they would have had. (The class of 40 covers SQLite with --jobs 2.)"""
    course = tmp_path / "class"
    course.mkdir()
    db = ["--db", postgres.new_database()] if backend == "postgresql" else []
    everyone = corpus.submissions(str(course / "gradebook.db"), str(postgres.socket / ".s.PGSQL.5432"))
    chosen = ["honest", ATTACKER, "one part wrong", "blank", "noisy, extra cells, reordered"]
    source = tmp_path / "submissions"
    expected = {}
    for i, name in enumerate(chosen):  # graded in this order with --jobs 1: the attacker has classmates before and after
        nb, filename, score = everyone[name]
        (source / f"s{i + 1}").mkdir(parents=True)
        nbformat.write(nb, source / f"s{i + 1}" / filename)
        expected[f"s{i + 1}"] = score
    autograder("collect", source, cwd=course)
    submitted = {p: p.read_bytes() for p in (course / "submitted").glob("*/*/*.ipynb")}
    run = autograder("autograde", *db, "--jobs", jobs, "--quiet", cwd=course)
    assert f"graded {len(chosen)} notebooks (0 could not be graded)" in run.stdout, run.stdout[-2000:]
    assert {p: p.read_bytes() for p in (course / "submitted").glob("*/*/*.ipynb")} == submitted
    rows = grades((course / "grades.csv").read_text())
    assert {student: float(row["score"]) for (student, _), row in rows.items()} == expected
    for (student, chapter), row in rows.items():
        page = next((course / "feedback" / student / chapter).glob("*.html")).read_text()
        assert f"{float(row['score']):g} / {float(row['max_score']):g}" in page, (student, page[:500])
    if backend == "postgresql":  # what the database itself holds, read by nbgrader
        theirs = nbgrader_export(course, db[1])
        assert {k: float(r["score"]) for k, r in theirs.items()} == {k: float(r["score"]) for k, r in rows.items()}
    executed = nbformat.read(next((course / "autograded" / "s2" / "01_micrograd").glob("*.ipynb")), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "attack worked" not in printed and "attack failed: the class's database server" in printed, printed[:2000]
    assert printed.count("attack failed") >= 5 and "attack failed: the class folder" in printed, printed[:2000]


def submitted_rows(course):
    db = sqlite3.connect(course / "gradebook.db")
    try:
        return (db.execute("SELECT count(*) FROM autograder_result").fetchone()[0],
                db.execute("SELECT count(*) FROM submitted_assignment").fetchone()[0],
                db.execute("SELECT count(*), count(auto_score) FROM grade").fetchone())
    except sqlite3.OperationalError:
        return 0, 0, (0, 0)
    finally:
        db.close()


def small_class(tmp_path, students):
    """A collected class of micrograd notebooks, every other one answered, the rest blank."""
    source = tmp_path / "submissions"
    for i in range(students):
        (source / f"student{i}").mkdir(parents=True)
        nbformat.write(corpus.answered() if i % 2 else corpus.blank(), source / f"student{i}" / "micrograd.ipynb")
    course = tmp_path / "class"
    course.mkdir()
    autograder("collect", source, cwd=course)
    return course


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_run_resumes_without_loss_or_duplicates(tmp_path, how):
    course = small_class(tmp_path, 8)
    # Ctrl-C's disposition as a terminal gives it: a shell without job control (CI's, which starts
    # the tests in the background) hands its children SIGINT ignored, and Python keeps it ignored.
    first = subprocess.Popen([sys.executable, "-m", "autograder", "autograde", "--jobs", "2", "--quiet"], cwd=course,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while submitted_rows(course)[0] < 2 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    running = psutil.Process(first.pid).children(recursive=True)  # workers, sandboxes, kernels
    assert running and first.poll() is None, first.communicate()
    first.send_signal(how)
    out, err = first.communicate(timeout=60)
    done = submitted_rows(course)[0]
    assert 2 <= done < 8, (out, err)
    if how == signal.SIGINT:
        assert first.returncode == 130 and "interrupted" in err
    gone, alive = psutil.wait_procs(running, timeout=30)
    assert not alive, [p.cmdline() for p in alive]  # nothing left running
    second = autograder("autograde", "--jobs", "2", "--quiet", cwd=course)
    assert f"graded {8 - done} notebooks" in second.stdout and f"{done} already graded" in second.stdout
    assert submitted_rows(course) == (8, 8, (8 * 6, 8 * 6))
    rows = grades((course / "grades.csv").read_text())
    assert sorted(float(r["score"]) for r in rows.values()) == [0.0] * 4 + [float(corpus.FULL)] * 4


def test_two_runs_at_once_leave_one_consistent_gradebook(tmp_path):
    course = small_class(tmp_path, 6)
    runs = [subprocess.Popen([sys.executable, "-m", "autograder", "autograde", "--jobs", "1", "--quiet"], cwd=course,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-2000:]
    assert submitted_rows(course) == (6, 6, (6 * 6, 6 * 6))
    rows = grades((course / "grades.csv").read_text())
    assert sorted(float(r["score"]) for r in rows.values()) == [0.0] * 3 + [float(corpus.FULL)] * 3


def test_a_dead_worker_costs_only_the_notebooks_it_held(tmp_path):
    """A worker of --jobs killed mid-run (the OOM killer, say) breaks its process pool: the
    notebooks the pool held are reported not graded, a new pool grades the rest, and the next
    run grades what was lost."""
    course = small_class(tmp_path, 8)
    first = subprocess.Popen([sys.executable, "-m", "autograder", "autograde", "--jobs", "2", "--quiet"], cwd=course,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while submitted_rows(course)[0] < 1 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    workers = [p for p in psutil.Process(first.pid).children() if "spawn_main" in " ".join(p.cmdline())]
    assert len(workers) == 2 and first.poll() is None, first.communicate()
    below = workers[0].children(recursive=True)  # its talkers, sandboxes and kernels
    workers[0].kill()
    gone, alive = psutil.wait_procs(below, timeout=30)
    assert not alive, [p.cmdline() for p in alive]  # they died with it
    out, err = first.communicate(timeout=600)
    lost = err.count("not graded: BrokenProcessPool")
    graded = int(re.search(r"graded (\d+) notebooks", out).group(1))
    assert first.returncode == 1 and 1 <= lost <= 4 and graded + lost == 8, (out, err)
    assert "run autograde again to grade it" in err
    assert submitted_rows(course)[0] == graded >= 2  # the pool after the break graded too
    second = autograder("autograde", "--jobs", "2", "--quiet", cwd=course)
    assert f"graded {lost} notebooks" in second.stdout
    assert submitted_rows(course) == (8, 8, (8 * 6, 8 * 6))
    rows = grades((course / "grades.csv").read_text())
    assert sorted(float(r["score"]) for r in rows.values()) == [0.0] * 4 + [float(corpus.FULL)] * 4
