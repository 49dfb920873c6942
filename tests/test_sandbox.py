"""The grading sandbox, attacked from a notebook cell with a real kernel: each test asserts the
exact outcome an attack gets. The sandbox is bubblewrap, built from an allowlist (see
autograder/sandbox.py); these attacks all worked against the earlier hand-made namespaces."""
import asyncio
import concurrent.futures
import contextlib
import ctypes
import json
import os
import pathlib
import shutil
import signal
import socket
import tempfile
import time

import nbformat
import psutil
import pytest

from autograder import sandbox
from autograder.execute import KernelDied, Limits, run_notebook, run_notebooks
from conftest import ROOT, require, serving

pytestmark = pytest.mark.slow

ATTACK = """
import ctypes, errno, json, os, pathlib, socket, subprocess, sys, urllib.request
libc = ctypes.CDLL(None, use_errno=True)
def attempt(action):
    try:
        return repr(action())
    except Exception as err:
        return type(err).__name__
def syscall(result):
    return errno.errorcode.get(ctypes.get_errno(), "ok") if result != 0 else "succeeded"
def run(*argv):
    return subprocess.run(argv, capture_output=True).returncode
def write(path):
    with open(path, "a") as f:
        f.write("x")
    return "written"
def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return "connected"
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
print(json.dumps({{
    "umount": run("umount", "/usr"),
    "remount rw": run("mount", "-o", "remount,bind,rw", "/"),
    "umount2 syscall": syscall(libc.umount2(b"/usr", 2)),
    "remount syscall": syscall(libc.mount(None, b"/usr", None, 32 | 4096, None)),  # MS_REMOUNT | MS_BIND
    "new user namespace": run("unshare", "--user", "--map-root-user", "true"),
    "solutions": attempt(lambda: os.listdir({solutions!r})),
    "history": attempt(lambda: pathlib.Path({head!r}).read_text()),
    "another copy of the course": attempt(lambda: pathlib.Path({copy!r}).read_text()),
    "a file in the home": attempt(lambda: pathlib.Path({home_file!r}).read_text()),
    "write site-packages": attempt(lambda: write({site_packages!r})),
    "write the data": attempt(lambda: write(os.path.join(os.environ.get("COURSE_DATA_DIR", "/nonexistent"), "names.txt"))),
    "write /tmp": attempt(lambda: write("/tmp/sandbox-probe.txt")),
    "write the course": attempt(lambda: write({course_file!r})),
    "own folder": attempt(lambda: write("scratch.txt")),
    "network": attempt(lambda: urllib.request.urlopen({url!r}, timeout=5).status),
    "host unix socket": attempt(lambda: connect({unix_socket!r})),
    "host shared memory": syscall(0 if libc.shmget({shm_key}, 0, 0) >= 0 else -1),
    "another run's folder": attempt(lambda: pathlib.Path({other!r}).read_text()),
    "runs folder": attempt(lambda: sorted(os.listdir({runs!r}))),
    "class folder": attempt(lambda: os.listdir({course!r})),
    "run": attempt(lambda: os.listdir("/run")),
    "root": sorted(os.listdir("/")),
    "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "CapEff": status["CapEff"].strip(), "NoNewPrivs": status["NoNewPrivs"].strip(), "uid": os.getuid(),
    "environment": sorted(os.environ),
    "names.txt": len(open(os.path.join(os.environ["COURSE_DATA_DIR"], "names.txt")).read().split()),
}}))
"""


def run_cells(*sources, cell_timeout=30, notebook_timeout=90):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    run_notebook(nb, Limits(cell_timeout, notebook_timeout))
    return nb.cells


def printed(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    require(sandbox.available(), "bubblewrap cannot make its namespaces here (see the grading page)")
    served = tmp_path_factory.mktemp("served")
    (served / "page.txt").write_text("reachable")
    other = pathlib.Path(tempfile.mkdtemp(dir=sandbox.runs_folder())) / "another-submission.txt"
    other.write_text("someone else's work")  # where another grading run keeps its files
    course = pathlib.Path(tempfile.mkdtemp(prefix="class-"))  # a class folder: submissions and gradebook
    (course / "gradebook.db").write_text("grades")
    copy = pathlib.Path(tempfile.mkdtemp(prefix="course-copy-")) / "solutions" / "01_micrograd" / "micrograd.ipynb"
    copy.parent.mkdir(parents=True)
    copy.write_text("the reference, in a second clone")
    home_file = pathlib.Path.home() / ".autograder-sandbox-test-secret"
    home_file.write_text("a private key")
    unix_dir = pathlib.Path(tempfile.mkdtemp(prefix="host-socket-"))
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(unix_dir / "server.sock"))
    listener.listen(1)
    libc = ctypes.CDLL(None, use_errno=True)
    shm_key = 0x5A4D0 + os.getpid() % 1000
    shm_id = libc.shmget(shm_key, 4096, 0o1666)  # IPC_CREAT | 0666: a segment an honest notebook could fill
    site_packages = pathlib.Path(__import__("torch").__file__).parent.parent / "sandbox-evil.pth"
    os.environ["AUTOGRADER_TEST_SECRET"] = "the grader's secret"
    try:
        with serving(served) as url:
            source = ATTACK.format(
                solutions=str(ROOT / "solutions"), head=str(ROOT / ".git" / "HEAD"), copy=str(copy),
                home_file=str(home_file), site_packages=str(site_packages), course_file=str(ROOT / "sandbox-probe.txt"),
                url=url + "page.txt", unix_socket=str(unix_dir / "server.sock"), shm_key=shm_key, other=str(other),
                runs=sandbox.runs_folder(), course=str(course))
            cell, = run_cells(source)
    finally:
        del os.environ["AUTOGRADER_TEST_SECRET"]
        listener.close()
        libc.shmctl(shm_id, 0, None)  # IPC_RMID
        for folder in (unix_dir, course, copy.parents[2], other.parent):
            shutil.rmtree(folder, ignore_errors=True)
        home_file.unlink()
    assert not (ROOT / "sandbox-probe.txt").exists() and not site_packages.exists()
    assert not pathlib.Path("/tmp/sandbox-probe.txt").exists()
    assert cell.metadata.autograder["status"] == "ok", cell.outputs
    return json.loads(printed(cell))


def test_the_server_is_reachable_from_outside_the_sandbox():
    import urllib.request
    with serving(ROOT / "tests") as url:
        assert urllib.request.urlopen(url + "conftest.py", timeout=5).status == 200


def test_mounts_cannot_be_undone(attack):
    assert attack["umount"] != 0 and attack["remount rw"] != 0
    assert attack["umount2 syscall"] == "EPERM" and attack["remount syscall"] == "EPERM"
    assert attack["new user namespace"] != 0  # and so no capabilities to get back


def test_no_capability_no_new_privileges_not_root(attack):
    assert attack["CapEff"] == "0000000000000000"
    assert attack["NoNewPrivs"] == "1"
    assert attack["uid"] == sandbox.UID != 0


def test_the_file_system_is_an_allowlist(attack):
    allowed = {p.split("/")[1] for p in sandbox.read_only_paths() + [sandbox.runs_folder(), sandbox.DATA_INSIDE]}
    assert set(attack["root"]) <= allowed | {"bin", "lib", "lib64", "sbin", "dev", "proc", "etc"}, attack["root"]
    for name in ("solutions", "history", "another copy of the course", "a file in the home", "class folder",
                 "another run's folder", "run"):
        assert attack[name] in ("FileNotFoundError", "NotADirectoryError"), (name, attack[name])
    assert attack["runs folder"].count("run-") == 1  # its own run, nobody else's
    assert attack["names.txt"] == 32_033  # the data it may read


def test_nothing_outside_its_own_folder_is_writable(attack):
    for name in ("write site-packages", "write the data", "write /tmp", "write the course"):
        assert attack[name] in ("OSError", "PermissionError", "FileNotFoundError"), (name, attack[name])
    assert attack["own folder"] == "'written'"


def test_no_network_no_host_sockets_no_host_ipc(attack):
    assert attack["network"] == "URLError"
    assert attack["host unix socket"] == "FileNotFoundError"
    assert attack["host shared memory"] == "ENOENT"


def test_only_its_own_processes(attack):
    assert attack["processes"] and max(attack["processes"]) < 20


def test_none_of_the_graders_environment(attack):
    assert "AUTOGRADER_TEST_SECRET" not in attack["environment"]
    assert set(attack["environment"]) <= set(sandbox.environment("/w", "/b")) | {
        "PWD", "PYDEVD_USE_FRAME_EVAL", "TERM", "CLICOLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PAGER", "GIT_PAGER",
        "MPLBACKEND", "JPY_PARENT_PID", "JPY_SESSION_NAME"}  # the last ones ipykernel sets itself


def test_memory_is_limited_and_output_truncated():
    require(sandbox.available(), "bubblewrap cannot make its namespaces here")
    hog, flood, after = run_cells("hog = bytearray(16 * 2**30)", "print('x' * 10_000_000)", "print('still here')")
    assert hog.metadata.autograder["ename"] == "MemoryError"
    text = printed(flood)
    assert 20_000 <= len(text) < 21_000 and text.rstrip().endswith("output truncated by the autograder ...")
    assert printed(after) == "still here\n"


def test_a_display_flood_is_cut_as_it_arrives():
    require(sandbox.available(), "bubblewrap cannot make its namespaces here")
    flood, after = run_cells("from IPython.display import display\nfor i in range(30):\n"
                             "    display({'text/plain': 'y' * 5_000_000}, raw=True)", "print('still here')")
    assert sum(len(json.dumps(o)) for o in flood.outputs) < 30_000
    assert printed(after) == "still here\n"


def test_a_fork_bomb_is_contained():
    require(sandbox.available(), "bubblewrap cannot make its namespaces here")
    bomb = """
import os, time
children, stopped = [], None
for i in range(3000):
    try:
        pid = os.fork()
    except OSError as err:
        stopped = type(err).__name__
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children.append(pid)
print(len(children), stopped)
"""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # a neighbour graded at the same time
        bombed = pool.submit(run_cells, bomb)
        neighbour = pool.submit(run_cells, "import time\ntime.sleep(5)\nprint('still here')")
        (cell,), (after,) = bombed.result(), neighbour.result()
    count, stopped = printed(cell).split()
    assert stopped == "BlockingIOError" and int(count) < max(sandbox.LIMITS["nproc"], sandbox.CGROUP_PIDS)
    assert printed(after) == "still here\n"


def test_a_disk_filler_is_contained():
    require(sandbox.available(), "bubblewrap cannot make its namespaces here")
    free_before = shutil.disk_usage(tempfile.gettempdir()).free
    filler = """
import errno
written, stopped = 0, None
try:
    for i in range(64):
        with open(f"fill-{i}", "wb") as f:
            for j in range(64):
                f.write(bytes(2**20))
                written += 2**20
except OSError as err:
    stopped = errno.errorcode[err.errno]
print(written // 2**20, stopped)
"""
    cell, after = run_cells(filler, "print('still here')")
    written, stopped = printed(cell).split()
    assert stopped in ("ENOSPC", "EFBIG") and int(written) <= sandbox.WORK_BYTES // 2**20
    assert printed(after) == "still here\n"
    assert shutil.disk_usage(tempfile.gettempdir()).free > free_before - 64 * 2**20


def test_two_kernels_at_once_cannot_see_each_other():
    require(sandbox.available(), "bubblewrap cannot make its namespaces here")
    look = "import os, time\nprint(sorted(os.listdir(%r)))\ntime.sleep(3)\nprint(sorted(os.listdir(%r)))" % (
        sandbox.runs_folder(), sandbox.runs_folder())
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: run_cells(look)[0], range(2))
    for cell in (first, second):
        seen = printed(cell).splitlines()
        assert all(line.count("run-") == 1 for line in seen), seen


def test_grading_from_inside_a_running_event_loop():
    # An instructor grading from a Jupyter notebook (or Playwright's sync API in this suite)
    # already runs an event loop in the calling thread, where asyncio.run refuses to start.
    async def from_a_notebook():
        return run_cells("print(6 * 7)")
    cell, = asyncio.run(from_a_notebook())
    assert printed(cell) == "42\n"


def test_the_data_files_are_the_setup_cells():
    setup = (ROOT / "course" / "setup_cell.py").read_text()
    namespace = {}
    exec(setup[setup.index("DATASETS ="):setup.index("def _sha256")], namespace)
    assert set(namespace["DATASETS"]) == set(sandbox.DATA_FILES)


def test_without_bubblewrap_grading_goes_on_with_a_loud_warning(monkeypatch, capsys):
    monkeypatch.setenv("AUTOGRADER_BWRAP", "/nonexistent/bwrap")
    sandbox.find_bwrap.cache_clear()
    sandbox.problems.cache_clear()
    try:
        assert sandbox.available() is False
        assert "WARNING: grading WITHOUT a sandbox" in sandbox.warning()
        ran, = run_cells("print(6 * 7)")
        assert ran.metadata.autograder["status"] == "ok" and "42" in printed(ran)
    finally:
        sandbox.find_bwrap.cache_clear()
        sandbox.problems.cache_clear()


def test_a_kernel_cannot_point_the_grader_at_a_host_socket(tmp_path):
    """The kernel swaps its sockets for links to a socket of the host, then drops every
    connection: the grader never reconnects, so it never follows the links."""
    require(sandbox.available(), "bubblewrap cannot make its namespaces here")
    host = tempfile.mkdtemp(prefix="host-socket-")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.path.join(host, "s"))
    listener.listen(8)
    listener.setblocking(False)
    swap = f"""
import gc, glob, os, zmq
from ipykernel.connect import get_connection_file
ipc = os.path.join(os.path.dirname(os.path.dirname(get_connection_file())), "ipc")
for path in glob.glob(ipc + "/kernel-*"):
    os.unlink(path)
    os.symlink({os.path.join(host, "s")!r}, path)
for thing in gc.get_objects():
    if isinstance(thing, zmq.Socket) and not thing.closed:
        thing.close(linger=0)
"""
    try:
        with pytest.raises(KernelDied, match="stopped listening"):
            run_cells(swap, "print('never')", cell_timeout=5, notebook_timeout=20)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
        shutil.rmtree(host)


def talkers_here():
    """{the marker its notebook prints: the talker process} for this process's talkers."""
    found = {}
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error, OSError, ValueError, IndexError):
            if "autograder.execute" in child.cmdline():
                talk = json.loads((pathlib.Path(child.cmdline()[-1]) / "talk.json").read_text())
                found[talk["notebook"]["cells"][0]["source"]] = child
    return found


def test_a_crashed_talker_costs_only_its_own_notebook():
    """libzmq aborts the process on some malformed traffic from a peer, which a kernel controls:
    the process that talks to a kernel is its own, so its crash (SIGABRT here, as libzmq's
    assertions give) ends that notebook as "kernel died", and the notebook beside it runs on."""
    require(sandbox.available(), "bubblewrap cannot make its namespaces here")

    def notebook(first):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(first), nbformat.v4.new_code_cell("print('done')")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        return nb

    victim, neighbour = notebook("import time; time.sleep(20)  # victim"), notebook("import time; time.sleep(5)")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_notebooks, [(victim, Limits(30, 90)), (neighbour, Limits(30, 90))])
        deadline = time.monotonic() + 60
        while "import time; time.sleep(20)  # victim" not in (talkers := talkers_here()) and time.monotonic() < deadline:
            time.sleep(0.2)
        talker = talkers["import time; time.sleep(20)  # victim"]
        with contextlib.suppress(psutil.Error):
            while not any("bwrap" in p.name() for p in talker.children(recursive=True)):  # its kernel is starting
                time.sleep(0.2)
        below = talker.children(recursive=True)
        talker.send_signal(signal.SIGABRT)
        outcome, neighbour_outcome = running.result(timeout=120)
    assert isinstance(outcome, KernelDied) and "crashed the grading process that talked to it (signal SIGABRT" in str(outcome)
    assert neighbour_outcome is None and printed(neighbour.cells[1]) == "done\n"
    gone, alive = psutil.wait_procs(below, timeout=30)
    assert not alive, [p.cmdline() for p in alive]  # its sandbox and kernel died with it
