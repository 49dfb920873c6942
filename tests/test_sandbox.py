"""The kernel that grading starts cannot read the solutions or the repository's history, write
outside its own folder, or reach the network."""
import concurrent.futures
import json
import pathlib
import shutil
import tempfile

import nbformat
import pytest

from autograder import sandbox
from autograder.execute import run_notebook
from conftest import ROOT, require, serving

PROBE = """
import json, os, pathlib, socket, urllib.request
def attempt(action):
    try:
        return repr(action())
    except Exception as err:
        return type(err).__name__
print(json.dumps({{
    "solutions": attempt(lambda: os.listdir({solutions!r})),
    "history": attempt(lambda: pathlib.Path({head!r}).read_text()),
    "write": attempt(lambda: pathlib.Path({target!r}).write_text("x")),
    "own folder": attempt(lambda: pathlib.Path("scratch.txt").write_text("x")),
    "network": attempt(lambda: urllib.request.urlopen({url!r}, timeout=5).status),
    "another run's folder": attempt(lambda: pathlib.Path({other!r}).read_text()),
    "class folder": attempt(lambda: os.listdir({course!r})),
    "cgroups": attempt(lambda: pathlib.Path("/sys/fs/cgroup/sandbox-probe").mkdir()),
    "run": attempt(lambda: os.listdir("/run")),
}}))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    require(sandbox.available(), "this OS does not allow the user namespaces the grading sandbox uses")
    folder = tmp_path_factory.mktemp("served")
    (folder / "page.txt").write_text("reachable")
    target = ROOT / "sandbox-probe.txt"
    other = pathlib.Path(tempfile.mkdtemp(dir=sandbox.runs_folder())) / "another-submission.txt"
    other.write_text("someone else's work")  # where another grading run keeps its files
    course = ROOT / ".sandbox-test-class"  # a class folder: submissions and gradebook
    course.mkdir(exist_ok=True)
    (course / "gradebook.db").write_text("grades")
    with serving(folder) as url:
        source = PROBE.format(solutions=str(ROOT / "solutions"), head=str(ROOT / ".git" / "HEAD"),
                              target=str(target), url=url + "page.txt", other=str(other), course=str(course))
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        # In a thread of its own: the browser tests' Playwright may hold an event loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(run_notebook, nb, 30, 60, [course]).result()
    shutil.rmtree(course)
    shutil.rmtree(other.parent)
    assert not target.exists()
    return json.loads(nb.cells[0].outputs[0]["text"])


def test_the_server_is_reachable_from_outside_the_sandbox():
    import urllib.request
    with serving(ROOT / "tests") as url:
        assert urllib.request.urlopen(url + "conftest.py", timeout=5).status == 200


def test_solutions_and_history_are_hidden(probe):
    assert probe["solutions"] == "[]"
    assert probe["history"] in ("FileNotFoundError", "PermissionError", "NotADirectoryError")


def test_only_its_own_folder_is_writable(probe):
    assert probe["write"] == "OSError" and probe["own folder"] == "1"


def test_no_network(probe):
    assert probe["network"] == "URLError"


def test_other_runs_the_class_folder_and_local_sockets_are_hidden(probe):
    assert probe["another run's folder"] == "FileNotFoundError"
    assert probe["class folder"] in ("[]", "PermissionError")
    assert probe["run"] in ("[]", "PermissionError")


def test_no_mount_is_writable(probe):
    assert probe["cgroups"] in ("OSError", "PermissionError")


def run_cells(*sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(run_notebook, nb, 30, 60).result()
    return nb.cells


def test_memory_is_limited_and_output_truncated():
    require(sandbox.available(), "this OS does not allow the user namespaces the grading sandbox uses")
    hog, flood, after = run_cells("hog = bytearray(16 * 2**30)", "print('x' * 10_000_000)", "print('still here')")
    assert hog.metadata.autograder["ename"] == "MemoryError"
    text = "".join(o.get("text", "") for o in flood.outputs)
    assert 20_000 <= len(text) < 21_000 and text.rstrip().endswith("output truncated by the autograder ...")
    assert after.outputs[0]["text"] == "still here\n"


def test_without_namespaces_grading_goes_on_with_a_loud_warning(monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "UNSHARE", ["false"])  # as on a system that refuses user namespaces
    sandbox.available.cache_clear()
    try:
        assert sandbox.available() is False
        assert "WARNING: grading WITHOUT a sandbox" in capsys.readouterr().err
        ran, = run_cells("print(6 * 7)")
        assert ran.metadata.autograder["status"] == "ok" and "42" in ran.outputs[0]["text"]
    finally:
        sandbox.available.cache_clear()
