"""The kernel that runs student code: Linux namespaces (util-linux `unshare`), no extra software.

Inside, the notebook's code has no network, its own process tree, a read-only view of the whole
file system except its own working folder, the course's solutions and history hidden, a private
/dev/shm, and an address-space limit. Where the OS refuses namespaces, grading goes on without
them and says so loudly, once.
"""
import functools
import json
import os
import shlex
import subprocess
import sys
import tempfile

from jupyter_client.kernelspec import KernelSpecManager

from . import layout

KERNEL_NAME = "course-sandbox"
MEMORY_LIMIT_BYTES = 8 * 2**30  # address space: torch maps far more than it touches
UNSHARE = ["unshare", "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]


def hidden_paths():
    """What student code must not read: the reference solutions and the repository's history."""
    return [p for p in (layout.SOLUTIONS, layout.ROOT / ".git") if p.exists()]


@functools.cache
def available():
    """True when this OS lets an unprivileged process make the namespaces the sandbox uses."""
    try:
        probe = subprocess.run(UNSHARE + ["--", "sh", "-c", "mount -o remount,bind,ro / && true"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    if probe.returncode != 0:
        print("WARNING: grading WITHOUT a sandbox: this system does not allow user namespaces "
              "(`unshare --user --net --mount --pid`), so student code runs with your permissions "
              "and network. See the grading page of the book.", file=sys.stderr)
    return probe.returncode == 0


def _script(writable, memory_bytes):
    """The shell that sets the sandbox up inside the new namespaces, then becomes the kernel."""
    steps = [f"mount --bind {shlex.quote(str(p))} {shlex.quote(str(p))}" for p in writable]
    steps += ["mount -o remount,bind,ro /", "mount -t tmpfs -o size=64m tmpfs /dev/shm"]
    steps += [f"mount -t tmpfs -o size=1k,mode=000 tmpfs {shlex.quote(str(p))}"
              if p.is_dir() else f"mount --bind /dev/null {shlex.quote(str(p))}" for p in hidden_paths()]
    # cd again: the kernel started in its folder before that folder's writable mount existed.
    steps += [f"ulimit -v {memory_bytes // 1024}", f"cd {shlex.quote(str(writable[0]))}", 'exec "$@"']
    return " && ".join(steps)


def kernel_spec_manager(workdir, sockets, memory_bytes=MEMORY_LIMIT_BYTES):
    """A KernelSpecManager that knows one kernel, KERNEL_NAME, sandboxed to workdir."""
    specs = tempfile.mkdtemp(prefix="autograde-kernelspec-", dir=sockets)
    argv = UNSHARE + ["--", "sh", "-c", _script([workdir, sockets], memory_bytes), "sandbox",
                      sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    os.makedirs(os.path.join(specs, KERNEL_NAME))
    # The notebook's HOME and TMPDIR are its working folder; the data sets already cached by the
    # setup cell stay visible (read-only), since there is no network to download them.
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    env = {"HOME": workdir, "TMPDIR": workdir, "XDG_CACHE_HOME": cache,
           "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib")}
    with open(os.path.join(specs, KERNEL_NAME, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "Python 3 (grading sandbox)", "language": "python", "env": env}, f)
    return KernelSpecManager(kernel_dirs=[specs])
