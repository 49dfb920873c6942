"""Class grading on a real Dask cluster: a scheduler and two worker processes that the test
starts on 127.0.0.1 with the `dask` command. The workers run where the class folder and
solutions/ are hidden from them (bubblewrap's tmpfs over each), so whatever they grade came in
the task, and nothing they do can touch the gradebook."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest

import corpus
from autograder import cluster, sandbox, tasks
from conftest import ROOT
from test_class_grading import autograder, grades, small_class, submitted_rows

pytestmark = pytest.mark.slow

DASK = pathlib.Path(sys.executable).parent / "dask"
WORKER_ENV = {"DASK_DISTRIBUTED__WORKER__DAEMON": "False"}


class Cluster:
    """`dask scheduler` and `dask worker`s, each in a process group of its own."""

    def __init__(self, folder):
        self.folder, self.workers = folder, []
        scheduler_file = folder / "scheduler.json"
        env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(cluster.ALLOWED_FAILURES)}
        self.scheduler = self._start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                      "--scheduler-file", str(scheduler_file)], env, "scheduler")
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]

    def _start(self, argv, env, name):
        log = open(self.folder / f"{name}.log", "w")
        return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def add_worker(self, hidden=(), env=None):
        """A worker that cannot see the paths in hidden (an empty tmpfs over each)."""
        hide = [arg for path in hidden for arg in ("--tmpfs", str(path))]
        userns = [] if os.geteuid() == 0 else ["--unshare-user"]
        argv = [sandbox.find_bwrap(), "--dev-bind", "/", "/", *userns, *hide, "--",
                str(DASK), "worker", self.address, "--nthreads", "1", "--no-dashboard",
                "--name", f"worker-{len(self.workers)}"]
        self.workers.append(self._start(argv, {**os.environ, **WORKER_ENV, **(env or {})}, f"worker-{len(self.workers)}"))

    def wait_for_workers(self, count):
        import distributed
        with distributed.Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=120)

    def kill_worker(self, i):
        os.killpg(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait()

    def stop(self):
        for process in self.workers + [self.scheduler]:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


@pytest.fixture
def dask_cluster(tmp_path):
    made = Cluster(tmp_path)
    yield made
    made.stop()


def results(course):
    """{(student, notebook): (score, [(part, score, message)])} from the gradebook's results."""
    import sqlite3
    db = sqlite3.connect(course / "gradebook.db")
    rows = db.execute("SELECT student_id, notebook, result FROM autograder_result").fetchall()
    db.close()
    out = {}
    for student, notebook, text in rows:
        result = json.loads(text)
        out[(student, notebook)] = (result["score"], [(p["id"], p["score"], p["message"]) for p in result["parts"]])
    return out


def test_a_class_graded_on_the_cluster_as_with_jobs(tmp_path, dask_cluster):
    course = small_class(tmp_path, 6)
    on_cluster = tmp_path / "on-cluster"
    shutil.copytree(course, on_cluster)
    for _ in range(2):
        dask_cluster.add_worker(hidden=[on_cluster, ROOT / "solutions"])
    dask_cluster.wait_for_workers(2)

    autograder("autograde", "--jobs", "2", "--quiet", cwd=course)
    run = autograder("autograde", "--scheduler", dask_cluster.address, "--quiet", cwd=on_cluster)
    assert "graded 6 notebooks (0 could not be graded)" in run.stdout

    assert grades((on_cluster / "grades.csv").read_text()) == grades((course / "grades.csv").read_text())
    assert results(on_cluster) == results(course)
    assert sorted(score for score, _ in results(on_cluster).values()) == [0.0] * 3 + [float(corpus.FULL)] * 3
    assert sorted(p.name for p in (on_cluster / "feedback").rglob("*.html")) == \
        sorted(p.name for p in (course / "feedback").rglob("*.html"))
    assert len(list((on_cluster / "autograded").rglob("*.ipynb"))) == 6
    # The workers could not see the class folder: the gradebook and the feedback came from here.
    import distributed
    with distributed.Client(dask_cluster.address, timeout=30) as client:
        seen = client.run(lambda: [os.path.exists(on_cluster / "gradebook.db"), os.listdir(ROOT / "solutions")])
    assert list(seen.values()) == [[False, []]] * 2
    again = autograder("autograde", "--scheduler", dask_cluster.address, "--quiet", cwd=on_cluster)
    assert "graded 0 notebooks" in again.stdout and "6 already graded" in again.stdout


def test_a_worker_killed_in_the_middle_loses_nothing(tmp_path, dask_cluster):
    course = small_class(tmp_path, 8)
    for _ in range(2):
        dask_cluster.add_worker(hidden=[course, ROOT / "solutions"])
    dask_cluster.wait_for_workers(2)
    run = subprocess.Popen([sys.executable, "-m", "autograder", "autograde", "--scheduler", dask_cluster.address,
                            "--quiet"], cwd=course, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while submitted_rows(course)[0] < 1 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    assert run.poll() is None, run.communicate()
    dask_cluster.kill_worker(0)  # with what it holds: its grading processes and their kernels die with it
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err[-3000:]
    assert "graded 8 notebooks (0 could not be graded)" in out, (out, err)
    assert submitted_rows(course) == (8, 8, (8 * 6, 8 * 6))
    rows = grades((course / "grades.csv").read_text())
    assert sorted(float(r["score"]) for r in rows.values()) == [0.0] * 4 + [float(corpus.FULL)] * 4


def test_a_worker_that_lacks_something_is_named_before_anything_is_graded(tmp_path, dask_cluster):
    course = small_class(tmp_path, 2)
    empty = tmp_path / "no-data"
    empty.mkdir()
    dask_cluster.add_worker(env={"COURSE_DATA_DIR": str(empty), "XDG_CACHE_HOME": str(empty)})
    dask_cluster.wait_for_workers(1)
    run = autograder("autograde", "--scheduler", dask_cluster.address, "--quiet", cwd=course, check=False)
    assert run.returncode == 2
    message = run.stderr.strip().splitlines()[-1]
    assert message.startswith("error: these workers cannot grade as this machine does: ") and "worker-0" in message
    assert "the data file names.txt (put it in $COURSE_DATA_DIR)" in message, message
    assert submitted_rows(course)[0] == 0


def test_a_daemon_worker_is_told_how_to_start(tmp_path, dask_cluster):
    course = small_class(tmp_path, 2)
    dask_cluster.add_worker(env={"DASK_DISTRIBUTED__WORKER__DAEMON": "True"})
    dask_cluster.wait_for_workers(1)
    run = autograder("autograde", "--scheduler", dask_cluster.address, "--quiet", cwd=course, check=False)
    assert run.returncode == 2 and "DASK_DISTRIBUTED__WORKER__DAEMON=False" in run.stderr.strip().splitlines()[-1]


def test_no_scheduler_is_one_clear_line(tmp_path):
    course = small_class(tmp_path, 1)
    run = autograder("autograde", "--scheduler", "tcp://127.0.0.1:9", "--quiet", cwd=course, check=False)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9"), lines[-3:]


def test_jobs_and_a_cluster_are_not_both_taken(tmp_path):
    course = small_class(tmp_path, 1)
    run = autograder("autograde", "--scheduler", "tcp://127.0.0.1:9", "--jobs", "2", cwd=course, check=False)
    assert run.returncode == 2 and "--jobs is for this machine's cores" in run.stderr


def test_a_task_carries_no_path_of_the_class_or_the_solutions(tmp_path):
    course = small_class(tmp_path, 1)
    from autograder import collect, layout
    submission, = collect.submitted(course)
    source = layout.source_notebook(submission.chapter, submission.notebook)
    task = tasks.make_task(submission, "submitted/student0/01_micrograd/micrograd.ipynb", source,
                           tasks.Limits(), True, tasks.expected_environment(True))
    import pickle
    carried = pickle.dumps(task)
    assert str(course).encode() not in carried and str(ROOT).encode() not in carried
    assert task.submission == submission.path.read_bytes() and task.source == source.read_bytes()


def test_the_coordinator_needs_the_data_files_to_check_the_workers(tmp_path):
    course = small_class(tmp_path, 1)
    empty = tmp_path / "no-data"
    empty.mkdir()
    run = subprocess.run([sys.executable, "-m", "autograder", "autograde", "--scheduler", "tcp://127.0.0.1:9"],
                         cwd=course, capture_output=True, text=True,
                         env={**os.environ, "COURSE_DATA_DIR": str(empty), "XDG_CACHE_HOME": str(empty)})
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1] == (
        "error: this machine lacks the course's names.txt and tinyshakespeare.txt, against which the workers' "
        "copies are checked: put them in $COURSE_DATA_DIR")
