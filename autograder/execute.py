"""Run a notebook in a fresh kernel, in a temporary directory, within time and output limits.

After the run, every executed cell carries metadata.autograder = {"status": "ok" | "error",
"ename", "evalue"} taken from the kernel's execute reply, which is what scoring reads.
"""
import asyncio
import os
import tempfile

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from . import probes, sandbox

MAX_OUTPUT_CHARS = 20_000  # per cell: a flood of prints is truncated, never stored whole


class KernelDied(RuntimeError):
    pass


def _truncate(cell):
    budget, kept, record = MAX_OUTPUT_CHARS, [], []
    for output in cell.get("outputs", []):
        if probes.MIME in output.get("data", {}):  # what is judged is kept, whatever was printed
            record = [output]  # the last one counts
            continue
        if budget <= 0:
            continue
        if output.get("output_type") == "stream" and len(output.get("text", "")) > budget:
            output["text"] = output["text"][:budget] + "\n... output truncated by the autograder ...\n"
        budget -= len(output.get("text", "")) if output.get("output_type") == "stream" else 1000
        kept.append(output)
    cell["outputs"] = kept + record


def _record(cell, execute_reply=None, **_):
    content = (execute_reply or {}).get("content", {})
    cell.metadata["autograder"] = {"status": content.get("status", "error"),
                                   "ename": content.get("ename", ""), "evalue": content.get("evalue", "")}
    _truncate(cell)


async def _run(nb, cell_timeout, notebook_timeout, root, hide):
    workdir, sockets = os.path.join(root, "work"), os.path.join(root, "ipc")
    os.mkdir(workdir)
    os.mkdir(sockets)
    # IPC sockets in a private folder: no TCP port (the sandbox has no network), and nothing in
    # the notebook's own folder.
    kernel = {"kernel_name": "python3"}
    if sandbox.available():
        kernel = {"kernel_name": sandbox.KERNEL_NAME,
                  "kernel_spec_manager": sandbox.kernel_spec_manager(root, workdir, sockets, hide)}
    km = AsyncKernelManager(transport="ipc", ip=os.path.join(sockets, "kernel"),
                            connection_file=os.path.join(sockets, "connection.json"), **kernel)
    client = NotebookClient(
        nb, km=km, timeout=cell_timeout, interrupt_on_timeout=True, allow_errors=True,
        resources={"metadata": {"path": workdir}}, record_timing=False, on_cell_executed=_record,
        error_on_timeout={"ename": "TimeoutError", "traceback": [],
                          "evalue": f"the cell ran past its time limit of {cell_timeout:g} s"})
    stopped = []

    async def stop_at_deadline():
        await asyncio.sleep(notebook_timeout)
        stopped.append(f"the notebook ran past its time limit of {notebook_timeout:g} s")
        await km.shutdown_kernel(now=True)

    deadline = asyncio.create_task(stop_at_deadline())
    try:
        await client.async_execute(cwd=workdir)
    except Exception as err:  # once the deadline has killed the kernel, nbclient fails in its own ways
        if not stopped:
            if isinstance(err, DeadKernelError):
                raise KernelDied(f"the kernel died while running the notebook ({err})") from None
            raise
    finally:
        deadline.cancel()
        if km.has_kernel:  # nbclient leaves a kernel it was given running
            await km.shutdown_kernel(now=True)
    return stopped[0] if stopped else None


def run_notebook(nb, cell_timeout=60, notebook_timeout=300, hide=()):
    """Execute nb in place. Returns None, or a note when the notebook limit stopped it early
    (the cells not reached have no metadata.autograder). A cell over its own limit is
    interrupted and recorded as an error; the cells after it still run. hide: folders and
    files the sandboxed kernel must not see, besides those it never sees."""
    with tempfile.TemporaryDirectory(prefix="run-", dir=sandbox.runs_folder()) as root:
        return asyncio.run(_run(nb, cell_timeout, notebook_timeout, root, tuple(map(str, hide))))
