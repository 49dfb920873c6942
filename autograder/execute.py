"""Run a notebook in a fresh sandboxed kernel, within time and output limits.

The grading process does not talk to the kernel itself: a talker (`python -m autograder.execute
ROOT`, a process of its own per kernel) runs the notebook and writes the executed cells back, so
that a kernel able to crash the process it talks to (libzmq aborts on some malformed traffic)
costs only its own notebook, reported as a dead kernel.

After the run, every executed cell carries metadata.autograder = {"status": "ok" | "error",
"ename", "evalue"} taken from the kernel's execute reply, which is what scoring reads.

What the kernel sends is bounded as it arrives, so the grader's memory stays bounded whatever a
notebook displays: no message over MAX_MESSAGE_BYTES is received (ZeroMQ drops it), at most
RECEIVE_QUEUE messages wait at once, a cell keeps MAX_OUTPUT_CHARS of output and a notebook
MAX_NOTEBOOK_OUTPUT_CHARS, widget messages are ignored, and only the last grading record of a cell
is kept. The bound is about (RECEIVE_QUEUE + 1) x MAX_MESSAGE_BYTES, decoded: some 200 MB per
kernel, in its talker (benchmarks/output_flood.py prints the peak).
"""
import asyncio
import contextlib
import ctypes
import dataclasses
import functools
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

import nbformat

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output

from . import sandbox

MAX_OUTPUT_CHARS = 20_000  # per cell
MAX_NOTEBOOK_OUTPUT_CHARS = 2_000_000
MAX_MESSAGE_BYTES = 40 * 2**20  # above the largest grading record (probes.MAX_RECORD_CHARS)
RECEIVE_QUEUE = 4
TRUNCATED = "\n... output truncated by the autograder ...\n"
KERNEL_START_SECONDS = 180  # nbclient's 60 s is not enough on a busy machine, and a kernel that never starts costs a grade


class KernelDied(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a run of student code is held to in time. (What it may see is the sandbox's
    allowlist, the same for every run; its memory, processes and files are the sandbox's limits.)"""
    cell_timeout: float = 60
    notebook_timeout: float = 300


class _Client(AsyncKernelClient):
    def start_channels(self, shell=True, iopub=True, stdin=True, hb=False, control=True):
        # No heartbeat: it reconnects by itself, to whatever its path then names. Whether the
        # kernel lives is asked of its process instead.
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=hb, control=control)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that, once bwrap has started, links the host's socket path into the
    sandbox and connects each socket once; whose clients receive only bounded messages.

    Each socket is connected once, after it was seen to be a socket, and never again: the paths
    are in the kernel's own folder, where it could later put a link to some socket of the host,
    and a reconnection would follow it."""
    sandbox_run = None
    client_factory = _Client

    async def _async_post_start_kernel(self, **kw):
        if self.sandbox_run is not None:
            await asyncio.to_thread(sandbox.link_sockets, self.sandbox_run)
            ports = [self.shell_port, self.iopub_port, self.stdin_port, self.control_port]
            await asyncio.to_thread(sandbox.wait_for_sockets, [f"{self.ip}-{port}" for port in ports])
            self.context.setsockopt(zmq.RECONNECT_IVL, -1)
        self.context.setsockopt(zmq.SNDTIMEO, 2000)  # a kernel that stops listening cannot block the grader
        await super()._async_post_start_kernel(**kw)

    async def _async_interrupt_kernel(self):
        try:
            await super()._async_interrupt_kernel()
        except zmq.Again:  # it closed its control socket: the cell runs on until the notebook's limit
            self.log.warning("the kernel does not take interrupts any more")

    interrupt_kernel = _async_interrupt_kernel  # AsyncKernelManager binds the name to its own

    def client(self, **kwargs):
        return super().client(context=_client_context(self.sandbox_run is not None), **kwargs)


@functools.cache
def _client_context(sandboxed):
    """One ZeroMQ context per process for the clients (a context per client, left to the garbage
    collector, can block the process in its destructor), with the bounds every socket gets."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
    if sandboxed:
        context.setsockopt(zmq.RECONNECT_IVL, -1)
        context.setsockopt(zmq.SNDTIMEO, 2000)
    return context


class BoundedClient(NotebookClient):
    """nbclient, keeping a bounded amount of what each cell outputs, as it arrives."""
    kept_whole = None  # the MIME type of grading records, kept whole (see run_notebooks)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._spent, self._notebook_spent = {}, 0

    def handle_comm_msg(self, outs, msg, cell_index):
        pass  # widgets are not graded: their state is never stored

    def output(self, outs, msg, display_id, cell_index):
        content, kept = msg.get("content", {}), self.kept_whole
        if kept and msg.get("msg_type") == "display_data" and kept in (content.get("data") or {}):
            record = new_output("display_data", data={kept: content["data"][kept]})
            outs[:] = [o for o in outs if kept not in o.get("data", {})] + [record]  # the last one counts
            return record
        spent = self._spent.get(cell_index, 0)
        left = min(MAX_OUTPUT_CHARS - spent, MAX_NOTEBOOK_OUTPUT_CHARS - self._notebook_spent)
        if msg.get("msg_type") == "stream":
            text = str(content.get("text", ""))
            size = len(text)
            if size > left:
                content["text"] = text[:max(left, 0)] + TRUNCATED if left > 0 else ""
        else:
            size = sum(len(str(v)) for v in (content.get("data") or {}).values()) + \
                sum(len(str(line)) for line in content.get("traceback") or []) + 200
        if left <= 0 or (msg.get("msg_type") != "stream" and size > left):
            self._spent[cell_index] = MAX_OUTPUT_CHARS
            if spent < MAX_OUTPUT_CHARS:
                outs.append(new_output("stream", name="stdout", text=TRUNCATED))
            return None
        self._spent[cell_index] = spent + min(size, left)
        self._notebook_spent += min(size, left)
        return super().output(outs, msg, display_id, cell_index)


def _record(cell, execute_reply=None, **_):
    content = (execute_reply or {}).get("content", {})
    cell.metadata.setdefault("autograder", {}).update(status=content.get("status", "error"),
                                                      ename=str(content.get("ename", ""))[:500],
                                                      evalue=str(content.get("evalue", ""))[:2000])


def _kernel_manager(root, sandboxed):
    """The sandboxed kernel's manager, or, where bwrap cannot run, a plain kernel's."""
    run = sandbox.Run(root)
    os.makedirs(run.work, mode=0o700)
    if not sandboxed:
        os.makedirs(run.ipc, mode=0o700)
        os.makedirs(os.path.dirname(run.connection_file), mode=0o700)
        km = SandboxedKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(run.ipc, "kernel"),
                                    connection_file=run.connection_file)
        return km, run, None
    sandbox.prepare(run)
    cgroup = sandbox.pids_cgroup(run)
    specs = os.path.join(root, "kernelspec")
    os.makedirs(os.path.join(specs, "sandbox"))
    spec = {"argv": sandbox.launch_argv(run, cgroup), "display_name": "Python 3 (grading sandbox)",
            "language": "python", "interrupt_mode": "message", "env": {}}
    with open(os.path.join(specs, "sandbox", "kernel.json"), "w") as f:
        json.dump(spec, f)
    km = SandboxedKernelManager(kernel_name="sandbox", kernel_spec_manager=KernelSpecManager(kernel_dirs=[specs]),
                                transport="ipc", ip=os.path.join(run.ipc, "kernel"), connection_file=run.connection_file)
    km.sandbox_run = run
    return km, run, cgroup


async def _run(nb, limits, root, kept_whole, sandboxed):
    km, run, cgroup = _kernel_manager(root, sandboxed)
    client = BoundedClient(
        nb, km=km, timeout=limits.cell_timeout, interrupt_on_timeout=True, allow_errors=True, store_widget_state=False,
        startup_timeout=KERNEL_START_SECONDS,
        resources={"metadata": {"path": run.work}}, record_timing=False, on_cell_executed=_record,
        error_on_timeout={"ename": "TimeoutError", "traceback": [],
                          "evalue": f"the cell ran past its time limit of {limits.cell_timeout:g} s"})
    client.kept_whole = kept_whole
    stopped = []

    async def stop_at_deadline():
        await asyncio.sleep(limits.notebook_timeout)
        stopped.append(f"the notebook ran past its time limit of {limits.notebook_timeout:g} s")
        await km.shutdown_kernel(now=True)

    deadline = asyncio.create_task(stop_at_deadline())
    try:
        # The grader's environment reaches neither bwrap nor (bwrap clears it) the kernel.
        # What the kernel writes to its own stdout and stderr (not through Jupyter) goes nowhere.
        await km.start_kernel(env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, cwd=run.work if not km.sandbox_run else "/",
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await client.async_execute()
    except sandbox.SandboxError as err:
        raise KernelDied(str(err)) from None
    except zmq.Again:
        if not stopped:
            raise KernelDied("the kernel stopped listening to the grader (it closed its sockets)") from None
    except Exception as err:  # once the deadline has killed the kernel, nbclient fails in its own ways
        if not stopped:
            if isinstance(err, DeadKernelError):
                raise KernelDied(f"the kernel died while running the notebook ({err})") from None
            raise
    finally:
        deadline.cancel()
        if km.has_kernel:  # nbclient leaves a kernel it was given running
            await km.shutdown_kernel(now=True)
        sandbox.remove_cgroup(cgroup)
    return stopped[0] if stopped else None


TALKER_SPARE_SECONDS = 60  # beyond the kernel's start and the notebook's limit, before its talker is killed
talker_peaks_mb = []  # each talker's peak memory, as it reported it (benchmarks/output_flood.py prints them)


def _talk(root):
    """The talker: run the notebook that root/talk.json describes and write what came of it to
    root/talked.json. It runs in a process of its own (`python -m autograder.execute ROOT`), so
    that a kernel that crashes the process talking to it (libzmq aborts on some malformed
    traffic, e.g. a multipart message cut in the middle) costs only its own notebook."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader, which then kills us
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grader
    with open(os.path.join(root, "talk.json")) as f:
        talk = json.load(f)
    if os.getppid() != talk["grader"]:  # it died before we asked to die with it
        return
    nb = nbformat.from_dict(talk["notebook"])
    try:
        outcome = {"stopped": asyncio.run(_run(nb, Limits(**talk["limits"]), root, talk["kept_whole"],
                                               talk["sandboxed"]))}
    except KernelDied as err:
        outcome = {"died": str(err)}
    except Exception as err:
        outcome = {"failed": f"{type(err).__name__}: {err}"}
    outcome["notebook"] = nb
    outcome["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(os.path.join(root, "talked.part"), "w") as f:
        json.dump(outcome, f)
    os.rename(os.path.join(root, "talked.part"), os.path.join(root, "talked.json"))


def _start_talker(nb, limits, root, kept_whole, sandboxed):
    with open(os.path.join(root, "talk.json"), "w") as f:
        json.dump({"notebook": nb, "limits": dataclasses.asdict(limits), "kept_whole": kept_whole,
                   "sandboxed": sandboxed, "grader": os.getpid()}, f)
    # Started where this autograder package lies (-m looks there first): whatever the caller's
    # folder holds, the talker is this same code.
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))
    with open(os.path.join(root, "talker.err"), "wb") as err:
        return subprocess.Popen([sys.executable, "-m", "autograder.execute", root], cwd=here, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)


def _talker_outcome(nb, talker, root, deadline):
    """What the talker wrote (the executed cells go into nb, in place), or the KernelDied that
    says how it ended without writing it."""
    try:
        code = talker.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        talker.kill()
        talker.wait()
        return KernelDied("the notebook's run did not end within its limits (the process talking to its kernel was "
                          "stopped)")
    try:
        with open(os.path.join(root, "talked.json")) as f:
            talked = json.load(f)
    except (OSError, ValueError):
        with open(os.path.join(root, "talker.err"), "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
            last = (f.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1][:200]
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        return KernelDied(f"the kernel crashed the grading process that talked to it ({how}"
                          f"{': ' + last if last else ''})")
    if "failed" in talked:
        raise RuntimeError(talked["failed"])
    nb.clear()
    nb.update(nbformat.from_dict(talked["notebook"]))
    talker_peaks_mb.append(talked["peak_rss_mb"])
    return KernelDied(talked["died"]) if "died" in talked else talked["stopped"]


def _cleanup(root):
    """What a killed talker left: its kernel's pids cgroup (the kernel itself died with it)."""
    for folder in sandbox.pids_cgroup_folders(sandbox.Run(root)):
        if folder.exists():
            sandbox.remove_cgroup(folder)


def run_notebooks(runs, kept_whole=None):
    """Execute each (nb, limits) of runs in place, all at once, each in a kernel of its own,
    each kernel talked to by a process of its own (see _talk).
    Returns one outcome per run: None, a note when the notebook limit stopped it early (the cells
    not reached have no metadata.autograder), or the KernelDied that ended it. A cell over its
    own limit is interrupted and recorded as an error; the cells after it still run.
    kept_whole: the MIME type of the records a cell sends for grading, which the output limits
    do not cut (the last one of a cell is kept)."""
    sandboxed = sandbox.available()
    with contextlib.ExitStack() as stack:
        roots = [os.path.realpath(stack.enter_context(tempfile.TemporaryDirectory(prefix="run-", dir=sandbox.runs_folder())))
                 for _ in runs]
        started = time.monotonic()
        talkers = []
        try:
            for (nb, limits), root in zip(runs, roots):
                talkers.append(_start_talker(nb, limits, root, kept_whole, sandboxed))
            outcomes = [_talker_outcome(nb, talker, root,
                                        started + KERNEL_START_SECONDS + limits.notebook_timeout + TALKER_SPARE_SECONDS)
                        for (nb, limits), talker, root in zip(runs, talkers, roots)]
        finally:
            for talker in talkers:
                if talker.poll() is None:
                    talker.kill()
                    talker.wait()
            for root in roots:
                _cleanup(root)
    return outcomes


def run_notebook(nb, limits=None, kept_whole=None):
    """run_notebooks for one notebook; a dead kernel raises KernelDied."""
    outcome, = run_notebooks([(nb, limits or Limits())], kept_whole)
    if isinstance(outcome, KernelDied):
        raise outcome
    return outcome


if __name__ == "__main__":
    _talk(sys.argv[1])
