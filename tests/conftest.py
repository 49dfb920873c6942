"""Shared fixtures. In CI (CI=true) a missing prerequisite fails the test instead of skipping it."""
import contextlib
import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest

from autograder.layout import DEVELOPMENT_DATA, ROOT  # noqa: F401 (the tests import ROOT from here)
from course.stamps import chapter_notebooks  # noqa: F401 (the tests import it from here)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
os.environ.setdefault("COURSE_DATA_DIR", str(DEVELOPMENT_DATA))


def require(condition, why):
    """Skip (locally) or fail (in CI) when a prerequisite is missing."""
    if not condition:
        if IN_CI:
            pytest.fail(f"missing prerequisite in CI: {why}")
        pytest.skip(why)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(folder):
    """Serve a folder over HTTP on 127.0.0.1 (a free port); yields the base URL, ending in '/'."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def printed_outputs(path):
    """Everything a stored chapter printed, as one text."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def solution_notebooks():
    return sorted((ROOT / "solutions").glob("*/*.ipynb"))


def exercise_notebooks():
    return sorted((ROOT / "exercises").glob("*/*.ipynb"))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The HTML book, built with -W into a temporary folder (the build never executes a notebook)."""
    out = tmp_path_factory.mktemp("book")
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", str(ROOT), "-W", "--keep-going",
                             "--path-output", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"the book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return out / "_build" / "html"


class PostgresServer:
    """A throwaway PostgreSQL server (Debian's postgresql package), on a Unix socket only."""

    def __init__(self, folder):
        bins = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        require(bins, "PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = bins[-1].parent
        self.data, self.socket = folder / "data", folder / "socket"
        self.socket.mkdir(mode=0o777)
        os.chmod(folder, 0o777)
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:  # initdb refuses to run as root
            subprocess.run(["chown", "postgres", str(self.socket)], check=True)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(folder / "server.log"), "-o",
                  f"-k {self.socket} -c listen_addresses='' -c fsync=off", "start")
        self.count = 0

    def _run(self, program, *args):
        subprocess.run([*self.as_postgres, str(self.bin / program), *args], check=True, capture_output=True)

    def new_database(self):
        """The URL of a new, empty database."""
        self.count += 1
        name = f"gradebook{self.count}"
        self._run("createdb", "-h", str(self.socket), "-U", "postgres", name)
        return f"postgresql://postgres@/{name}?host={self.socket}"

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")


@pytest.fixture(scope="session")
def postgres():
    # Not under pytest's temporary folder: the postgres user cannot enter root's 0700 folders.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="course-postgres-"))
    server = PostgresServer(folder)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
