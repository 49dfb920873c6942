"""The gradebook alone, without kernels: several processes that write the same class's
gradebook at the same moment (two `autograde` runs started at once, say) all succeed, and each
submission ends with exactly one set of grades."""
import multiprocessing
import time

import nbgrader.api
import pytest
import sqlalchemy

from autograder import layout
from autograder.collect import Submission
from autograder.gradebook import ClassGradebook

CHAPTER, NOTEBOOK = "01_micrograd", "micrograd"
WRITERS, STUDENTS = 4, 6


def _submission(folder, student):
    path = folder / student / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return Submission(student, CHAPTER, NOTEBOOK, path)


def _slow_to_add(*tables):
    """Make a new row of each table take a moment to build: between a writer's "is it there?"
    and its INSERT, so that the others, unless made to wait, ask the same question meanwhile."""
    for table in tables:
        build = table.__init__

        def slowly(self, *args, build=build, **kwargs):
            time.sleep(0.2)
            build(self, *args, **kwargs)
        table.__init__ = slowly


def _write_the_class(url, folder, barrier, failures):
    """One writer: open the new gradebook, make the assignment, then record every student, all
    writers in step, so that each one looks for a row (the course, a student) the others are
    about to add."""
    _slow_to_add(nbgrader.api.Course, nbgrader.api.Student)  # in this child process only
    try:
        barrier.wait()
        with ClassGradebook(url) as book:
            barrier.wait()
            book.add_assignment(CHAPTER, layout.source_notebook(CHAPTER, NOTEBOOK))
            for i in range(STUDENTS):
                submission = _submission(folder, f"student{i}")
                barrier.wait()
                book.record(submission, "0" * 64, {"parts": [], "status": "graded"})
    except BaseException as err:  # reported to the test, not lost in a child's stderr
        failures.put(f"{type(err).__name__}: {err}"[:300])
        barrier.abort()


def _writers_at_once(url, folder):
    context = multiprocessing.get_context("fork")
    barrier, failures = context.Barrier(WRITERS, timeout=60), context.Queue()
    writers = [context.Process(target=_write_the_class, args=(url, folder, barrier, failures))
               for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    reported = []
    while not failures.empty():
        reported.append(failures.get())
    assert not reported, reported
    assert [w.exitcode for w in writers] == [0] * WRITERS
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as db:
        count = {table: db.execute(sqlalchemy.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                 for table in ("student", "submitted_assignment", "autograder_result", "assignment")}
    engine.dispose()
    assert count == {"student": STUDENTS, "submitted_assignment": STUDENTS, "autograder_result": STUDENTS,
                     "assignment": 1}


def test_writers_at_once_in_sqlite(tmp_path):
    _writers_at_once(f"sqlite:///{tmp_path / 'gradebook.db'}", tmp_path)


@pytest.mark.slow
def test_writers_at_once_in_postgresql(postgres, tmp_path):
    _writers_at_once(postgres.new_database(), tmp_path)
