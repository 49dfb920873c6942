"""The class's gradebook: nbgrader's own database (SQLite by default, or PostgreSQL), so that
`nbgrader export` and the formgrader read what we write.

Besides nbgrader's tables there is one of ours, autograder_result: per submitted notebook, the
sha256 of the file that was graded and the full result (parts and messages, for feedback). A
submission's grades and its row are written in one transaction, by one process, so an
interrupted run leaves each submission either fully recorded or not at all. Writers take the
gradebook's writer lock first, so two runs at once never both add the same student.
"""
import contextlib
import datetime
import fcntl
import json
import os
import pathlib

import nbformat
import sqlalchemy
from alembic.script import ScriptDirectory
from nbgrader.api import Base as NbgraderTables
from nbgrader.api import (Assignment, Comment, Grade, Gradebook, Notebook, Student, SubmittedAssignment,
                          SubmittedNotebook)
from nbgrader.dbutil import ALEMBIC_DIR
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, ClearSolutions, ComputeChecksums,
                                    LockCells, SaveCells)

from nbgrader.utils import parse_utc

from . import cells
from .config import preprocess

_metadata = sqlalchemy.MetaData()
RESULTS = sqlalchemy.Table(
    "autograder_result", _metadata,
    sqlalchemy.Column("student_id", sqlalchemy.String(128), primary_key=True),
    sqlalchemy.Column("assignment", sqlalchemy.String(128), primary_key=True),
    sqlalchemy.Column("notebook", sqlalchemy.String(128), primary_key=True),
    sqlalchemy.Column("sha256", sqlalchemy.String(64), nullable=False),
    sqlalchemy.Column("result", sqlalchemy.Text, nullable=False),
    sqlalchemy.Column("graded_at", sqlalchemy.String(32), nullable=False),
)


class GradebookError(RuntimeError):
    pass


def has_password(url):
    try:
        return sqlalchemy.engine.make_url(url).password is not None
    except Exception:
        return ":" in url.split("@")[0].split("//")[-1] and "@" in url


def default_url(course):
    return f"sqlite:///{os.path.abspath(os.path.join(course, 'gradebook.db'))}"


def submitted_at(path):
    """When a notebook was collected, as nbgrader keeps it (timestamp.txt beside it), else its
    modification time: the formgrader counts a submission autograded when the two agree."""
    stamp = pathlib.Path(path).parent / "timestamp.txt"
    if stamp.exists():
        return parse_utc(stamp.read_text().strip())
    return datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc).replace(tzinfo=None)


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def create_tables(url):
    """nbgrader's tables and ours, made once even when two runs open a new gradebook at once (the
    caller holds the writer lock, so the second waits for the first). A new database is stamped with the schema version nbgrader's
    migrations expect, as nbgrader's Gradebook would stamp it (which runs `alembic` from PATH)."""
    engine = sqlalchemy.create_engine(url, future=True)
    try:
        with engine.begin() as conn:
            new = not sqlalchemy.inspect(conn).get_table_names()
            NbgraderTables.metadata.create_all(conn)
            _metadata.create_all(conn)
            if new:
                conn.execute(sqlalchemy.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
                conn.execute(sqlalchemy.text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                             {"v": ScriptDirectory(ALEMBIC_DIR).get_current_head()})
    finally:
        engine.dispose()


WRITER_LOCK = 0x5A2B  # the PostgreSQL advisory lock held while a run writes


class WriterLock:
    """One writer at a time across processes, for a whole read-then-write (is this student known?
    then add her): the database's own transactions do not make that atomic, since SQLite starts
    writing only at the first INSERT and PostgreSQL's default isolation lets two transactions
    both find no row. SQLite: flock on the database file (made empty if missing, which SQLite
    takes for a new database), through a descriptor kept open until close (closing one would
    drop SQLite's own fcntl locks). PostgreSQL: a session advisory lock
    on a connection of its own. Other databases: no lock (one run at a time)."""

    def __init__(self, url):
        self._fd = self._connection = self._engine = None
        engine_url = sqlalchemy.engine.make_url(url)
        if engine_url.get_backend_name() == "sqlite" and engine_url.database not in (None, "", ":memory:"):
            self._fd = os.open(engine_url.database, os.O_RDONLY | os.O_CREAT, 0o666)
        elif engine_url.get_backend_name() == "postgresql":
            self._engine = sqlalchemy.create_engine(url, future=True, poolclass=sqlalchemy.pool.NullPool)
            self._connection = self._engine.connect()

    @contextlib.contextmanager
    def held(self):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        elif self._connection is not None:
            self._connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": WRITER_LOCK})
            self._connection.commit()
        try:
            yield
        finally:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            elif self._connection is not None:
                self._connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": WRITER_LOCK})
                self._connection.commit()

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
        if self._connection is not None:
            self._connection.close()
            self._engine.dispose()


class ClassGradebook:
    def __init__(self, db_url):
        self.url = db_url
        try:
            self.writer = WriterLock(db_url)
            with self.writer.held():  # nbgrader's Gradebook adds the course's row when it is missing
                create_tables(db_url)
                self.gb = Gradebook(db_url)
        except Exception as err:
            if getattr(self, "writer", None) is not None:
                self.writer.close()
            raise GradebookError(f"cannot open the gradebook {db_url}: {type(err).__name__}: "
                                 f"{str(err).splitlines()[0] if str(err) else ''}") from None

    def close(self):
        self.gb.close()  # first: SQLite's locks go with the writer lock's descriptor
        self.writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def add_assignment(self, chapter, source_path):
        """Make (or update) the assignment's structure from its source, as nbgrader's release does;
        nothing to do when the gradebook already has the same graded cells and points."""
        nb = nbformat.read(source_path, as_version=4)
        wanted = {cells.grade_id(c): cells.points(c) for c in nb.cells if cells.is_grade_cell(c)}
        with self.writer.held():
            self._add_assignment(chapter, source_path, nb, wanted)

    def _add_assignment(self, chapter, source_path, nb, wanted):
        self.gb.db.rollback()  # what others wrote before the lock was ours
        known = self.gb.db.query(Notebook).join(Assignment).filter(
            Assignment.name == chapter, Notebook.name == source_path.stem).one_or_none()
        if known is not None and {c.name: c.max_score for c in known.grade_cells} == wanted:
            return
        self.gb.update_or_create_assignment(chapter)
        resources = {"nbgrader": {"db_url": self.url, "assignment": chapter, "notebook": source_path.stem}}
        try:  # as nbgrader's generate_assignment: SaveCells sees the hidden tests, not the solutions
            preprocess(nb, (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums, SaveCells),
                       resources)
        except RuntimeError as err:  # nbgrader refuses to change cells that have submissions
            raise GradebookError(f"{chapter}: {err}; grade the changed chapter into a new gradebook") from None
        self.gb.db.expire_all()

    def graded(self):
        """{(student, chapter, notebook): sha256 of the graded file}."""
        rows = self.gb.db.execute(sqlalchemy.select(RESULTS.c.student_id, RESULTS.c.assignment,
                                                    RESULTS.c.notebook, RESULTS.c.sha256))
        return {(s, a, n): h for s, a, n, h in rows}

    def results(self):
        """[(student, chapter, notebook, result)] in a stable order."""
        rows = self.gb.db.execute(sqlalchemy.select(RESULTS.c.student_id, RESULTS.c.assignment, RESULTS.c.notebook,
                                                    RESULTS.c.result).order_by(RESULTS.c.student_id, RESULTS.c.assignment,
                                                                               RESULTS.c.notebook))
        return [(s, a, n, json.loads(r)) for s, a, n, r in rows]

    def _submission(self, student_id, chapter, timestamp):
        db = self.gb.db
        student = db.get(Student, student_id)
        if student is None:
            student = Student(id=student_id)
            db.add(student)
        assignment = db.query(Assignment).filter(Assignment.name == chapter).one()
        submission = db.query(SubmittedAssignment).filter(SubmittedAssignment.assignment_id == assignment.id,
                                                          SubmittedAssignment.student_id == student_id).one_or_none()
        if submission is None:  # the structure nbgrader's add_submission makes, in our transaction
            with db.no_autoflush:
                submission = SubmittedAssignment(assignment=assignment, student=student, timestamp=timestamp)
                db.add(submission)
                for notebook in assignment.notebooks:
                    submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
                    db.add(submitted)
                    db.add_all([Grade(cell_id=cell.id, notebook=submitted) for cell in notebook.grade_cells])
                    db.add_all([Comment(cell_id=cell.id, notebook=submitted) for cell in notebook.solution_cells])
            db.flush()
        else:
            submission.timestamp = timestamp
        return submission

    def record(self, submission, sha256, result):
        """Write one graded notebook: nbgrader's grades and our row, in one transaction."""
        db = self.gb.db
        with self.writer.held():
            self._record(db, submission, sha256, result)

    def _record(self, db, submission, sha256, result):
        try:
            submitted = self._submission(submission.student, submission.chapter, submitted_at(submission.path))
            notebook = next(n for n in submitted.notebooks if n.name == submission.notebook)
            scores = {p["id"]: p["score"] for p in result["parts"]}
            for grade in notebook.grades:
                grade.auto_score = float(scores.get(grade.name, 0.0))
                grade.needs_manual_grade = grade.manual_score is not None
            key = (RESULTS.c.student_id == submission.student) & (RESULTS.c.assignment == submission.chapter) \
                & (RESULTS.c.notebook == submission.notebook)
            db.execute(RESULTS.delete().where(key))
            db.execute(RESULTS.insert().values(student_id=submission.student, assignment=submission.chapter,
                                               notebook=submission.notebook, sha256=sha256, result=json.dumps(result),
                                               graded_at=_utc_now().isoformat(timespec="seconds")))
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def scores(self):
        """[(student, chapter, score or None when not submitted, max_score)] for every student and
        chapter, from nbgrader's own tables: what `nbgrader export` reports."""
        rows = []
        students = [s.id for s in self.gb.db.query(Student).order_by(Student.id)]
        for assignment in self.gb.db.query(Assignment).order_by(Assignment.name):
            submitted = {s.student_id: s.score for s in assignment.submissions}
            rows += [(student, assignment.name, submitted.get(student), assignment.max_score) for student in students]
        return rows
