"""A class's unit of work: one submission's grading, carried whole to whoever runs it.

A Task holds the submitted file's bytes and its source notebook's bytes (the reference solution
and the hidden tests), so a worker needs no class folder and no solutions/: only the course's
packages, bubblewrap and the data files, the same as the coordinator's (`check_worker` says what
differs). What comes back is the JSON result and the executed notebook; the coordinator alone
writes the gradebook. The sha256 recorded is that of the bytes the task carried, the ones graded.

The same tasks run in `autograde --jobs N`'s process pool and on a Dask cluster's workers.
"""
import dataclasses
import functools
import hashlib
import importlib.metadata
import pathlib
import platform
import shutil
import sys
import tempfile

import nbformat

from . import sandbox
from .execute import Limits

# What a worker must run exactly as the coordinator does: a different version of any of these
# can execute or judge a notebook differently.
PACKAGES = ("torch", "numpy", "nbclient", "nbformat", "ipykernel", "jupyter_client", "nbgrader", "regex",
            "tiktoken", "matplotlib")


class WorkerNotReady(RuntimeError):
    """This machine cannot grade as the coordinator does; the message names what differs."""


@dataclasses.dataclass(frozen=True)
class Task:
    key: tuple                # (student, chapter, notebook)
    filename: str             # the submission's path in the class folder, for messages
    submission: bytes
    source_name: str          # "03_mlp/mlp.ipynb": the source notebook's place under solutions/
    source: bytes
    limits: Limits
    sandboxed: bool           # False only when the instructor passed --no-sandbox
    environment: dict         # expected_environment(): what the worker must match

    @property
    def sha256(self):
        return hashlib.sha256(self.submission).hexdigest()


def make_task(submission, shown, source_path, limits, sandboxed, expected):
    """The task for a collect.Submission (shown: its path in the class folder), reading its file
    once: what is graded is what is hashed."""
    return Task(submission.key, shown, submission.path.read_bytes(),
                f"{source_path.parent.name}/{source_path.name}", source_path.read_bytes(), limits, sandboxed, expected)


def _package_root():
    return pathlib.Path(__file__).resolve().parent


def code_digest():
    """The sha256 of the autograder's own source files: the grading code itself."""
    digest = hashlib.sha256()
    for path in sorted(_package_root().glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _data_digests():
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in sorted(sandbox.data_files().items())}


@functools.cache
def environment():
    """What must be the same on every machine that grades: Python, the packages, the
    autograder's code, the data files; and whether the sandbox runs here."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": ".".join(map(str, sys.version_info[:3])), "packages": versions,
            "autograder code": code_digest(), "data files": _data_digests(), "sandbox": sandbox.available()}


def expected_environment(sandboxed):
    """What a worker must have: this machine's environment, and the sandbox unless the
    instructor passed --no-sandbox (whether or not the sandbox runs on this machine)."""
    return {**environment(), "sandbox": "required" if sandboxed else "not required"}


def differences(expected, found):
    """What a worker lacks or has otherwise than the coordinator, one short phrase each."""
    problems = []
    if found["python"] != expected["python"]:
        problems.append(f"Python {found['python']} (the coordinator has {expected['python']})")
    for name, version in expected["packages"].items():
        if found["packages"].get(name) != version:
            problems.append(f"{name} {found['packages'].get(name) or 'missing'} (the coordinator has {version})")
    if found["autograder code"] != expected["autograder code"]:
        problems.append("another version of the autograder (check out the coordinator's commit and install it)")
    for name, digest in expected["data files"].items():
        have = found["data files"].get(name)
        if have is None:
            problems.append(f"the data file {name} (put it in $COURSE_DATA_DIR)")
        elif have != digest:
            problems.append(f"another {name} than the coordinator's")
    if expected["sandbox"] == "required" and found["sandbox"] is not True:
        why = sandbox.problems()[0] or "bubblewrap cannot run"
        problems.append(f"the sandbox ({why})")
    return problems


def check_worker(expected):
    """Raise WorkerNotReady unless this machine grades exactly as the coordinator does."""
    found = environment()
    problems = differences(expected, found)
    if problems:
        raise WorkerNotReady(f"the worker {platform.node()} cannot grade: it lacks or differs in "
                             + "; ".join(problems))


def grade_task(task):
    """(result, the executed notebook as JSON text or None), for a task, on this machine. The
    files are written to a private folder that no sandbox sees, and removed."""
    from .grade import grade_one  # here: grade imports the execution machinery, which a check does not need

    check_worker(task.environment)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="task-", dir=sandbox.runs_folder()))
    try:
        source_path = folder / "source" / task.source_name
        source_path.parent.mkdir(parents=True)
        source_path.write_bytes(task.source)
        submission_path = folder / "submitted" / pathlib.PurePath(task.filename).name
        submission_path.parent.mkdir()
        submission_path.write_bytes(task.submission)
        result, executed = grade_one(submission_path, task.limits, None, source_path)
        result["notebook"] = task.filename
        if result["error"]:  # the student sees the file she submitted, not this machine's copy of it
            result["error"] = result["error"].replace(str(submission_path), task.filename)
        return result, (nbformat.writes(executed) if executed is not None else None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
