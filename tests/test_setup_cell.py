"""The setup cell: the same in every notebook, and a data loader that verifies what it finds or
downloads. The download path is tested for real against an HTTP server on 127.0.0.1."""
import contextlib
import hashlib
import os
import pathlib

import nbformat
import pytest

from conftest import ROOT, chapter_notebooks, exercise_notebooks, serving, solution_notebooks
from course import stamps

SHARED_DATA = pathlib.Path(os.environ["COURSE_DATA_DIR"])


def all_notebooks():
    return chapter_notebooks() + solution_notebooks() + exercise_notebooks()


def test_there_are_notebooks_to_check():
    assert chapter_notebooks() and solution_notebooks() and exercise_notebooks()


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_first_code_cell_is_the_shared_setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == stamps.SETUP_CELL, f"{path}: run `python -m course sync` (and release)"


@pytest.mark.parametrize("path", chapter_notebooks() + solution_notebooks(), ids=lambda p: p.name)
def test_shared_cells_are_stamped(path):
    assert stamps.problems(nbformat.read(path, as_version=4), path) == []


@pytest.fixture
def setup_cell(tmp_path, monkeypatch):
    """Run the setup cell's code in a fresh namespace, in an empty folder with an empty cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_DATA_BASE_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def run():
        namespace = {}
        exec(compile(stamps.SETUP_CELL, "<setup cell>", "exec"), namespace)
        return namespace
    return run


@pytest.fixture
def data_server():
    """Serve folders on 127.0.0.1; yields a function folder -> base URL."""
    with contextlib.ExitStack() as servers:
        yield lambda folder: servers.enter_context(serving(folder))


def test_setup_cell_picks_a_device_and_seeds(setup_cell):
    ns = setup_cell()
    assert ns["DEVICE"] in ("cuda", "mps", "cpu")
    assert ns["torch"].initial_seed() == ns["SEED"]


def test_downloads_verifies_and_caches(setup_cell, data_server, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_BASE_URL", data_server(SHARED_DATA))
    ns = setup_cell()
    path = ns["course_data"]("names.txt")
    assert path == tmp_path / "cache" / "zero-to-hero-graded" / "names.txt"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ns["DATASETS"]["names.txt"][1]
    assert len(path.read_text().split()) == 32033
    # Cached: a second call needs no server at all.
    monkeypatch.setenv("COURSE_DATA_BASE_URL", "http://127.0.0.1:9/")
    assert ns["course_data"]("names.txt") == path


def test_a_corrupt_download_is_a_clear_error_and_leaves_nothing(setup_cell, data_server, monkeypatch, tmp_path):
    wrong = tmp_path / "served"
    wrong.mkdir()
    (wrong / "names.txt").write_text("emma\nolivia\n")
    monkeypatch.setenv("COURSE_DATA_BASE_URL", data_server(wrong))
    ns = setup_cell()
    with pytest.raises(RuntimeError, match=r"download of names.txt .* is corrupt \(sha256 mismatch\): run this cell again"):
        ns["course_data"]("names.txt")
    assert list((tmp_path / "cache" / "zero-to-hero-graded").iterdir()) == []


def test_an_unreachable_server_is_a_clear_error(setup_cell, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_BASE_URL", "http://127.0.0.1:9/")  # discard port: nothing listens
    ns = setup_cell()
    with pytest.raises(RuntimeError, match=r"could not download names.txt from http://127.0.0.1:9/names.txt .*check your connection"):
        ns["course_data"]("names.txt")
    assert list((tmp_path / "cache" / "zero-to-hero-graded").iterdir()) == []


def test_a_missing_file_on_the_server_is_a_clear_error(setup_cell, data_server, monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("COURSE_DATA_BASE_URL", data_server(empty))
    ns = setup_cell()
    with pytest.raises(RuntimeError, match=r"could not download tinyshakespeare.txt .*404"):
        ns["course_data"]("tinyshakespeare.txt")


def test_prefers_the_working_directory_then_course_data_dir(setup_cell, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_BASE_URL", "http://127.0.0.1:9/")  # any download would fail
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_DATA))
    ns = setup_cell()
    assert ns["course_data"]("tinyshakespeare.txt") == SHARED_DATA / "tinyshakespeare.txt"
    (tmp_path / "tinyshakespeare.txt").write_bytes((SHARED_DATA / "tinyshakespeare.txt").read_bytes())
    assert ns["course_data"]("tinyshakespeare.txt").resolve() == (tmp_path / "tinyshakespeare.txt").resolve()


def test_a_wrong_local_copy_is_reported_not_used(setup_cell, monkeypatch, tmp_path):
    (tmp_path / "names.txt").write_text("not the names\n")
    ns = setup_cell()
    with pytest.raises(RuntimeError, match=r"names.txt is not the course's names.txt \(sha256 mismatch\): delete or replace it"):
        ns["course_data"]("names.txt")
    assert (tmp_path / "names.txt").read_text() == "not the names\n"  # the user's file is left alone
