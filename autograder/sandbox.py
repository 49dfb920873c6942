"""The kernel that runs student code: Linux namespaces (util-linux `unshare`), no extra software.

Inside, the notebook's code has no network, its own process tree, a read-only view of every mount
except its own folder, a private /dev/shm and an address-space limit. It cannot see the folders
where the other submissions run, /run (local database sockets), the course's solutions and
history, nor the paths the caller hides (a class's submissions and gradebook). Where the OS
refuses namespaces, grading goes on without them and says so loudly, once.
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
# setpriv: the sandbox dies with the process that started it, even when that one is killed.
UNSHARE = ["setpriv", "--pdeathsig", "KILL", "unshare", "--user", "--map-root-user", "--net", "--mount",
           "--pid", "--fork", "--kill-child", "--mount-proc"]


def runs_folder():
    """The folder under which every grading run of this user gets its own folder (private, 0700):
    a sandbox sees only its own run there."""
    folder = os.path.join(tempfile.gettempdir(), f"autograde-runs-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def hidden_paths(extra=()):
    """What student code must not read: the reference solutions, the repository's history, local
    database sockets, and whatever the caller adds."""
    always = [layout.SOLUTIONS, layout.ROOT / ".git", "/run"]
    return [str(p) for p in [*always, *extra] if os.path.exists(p)]


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


def _script(root, workdir, hidden, memory_bytes):
    """The shell that sets the sandbox up inside the new namespaces, then becomes the kernel.

    root holds the kernel's folder and its sockets; root's parent, runs_folder(), where every
    grading run has its own root, is covered by an empty read-only tmpfs, with only this run's root
    moved back into it."""
    q = shlex.quote
    shared_tmp = os.path.dirname(root)
    steps = [
        f"mount -n --bind {q(root)} {q(root)}",
        # every mount read-only (sysfs and cgroups included), except our own root
        f"for m in $(awk '{{print $2}}' /proc/self/mounts); do [ \"$m\" = {q(root)} ] || "
        "mount -n -o remount,bind,ro \"$m\" 2>/dev/null; done; true",
        "mount -n -t tmpfs -o size=64m tmpfs /dev/shm",
        "mkdir /dev/shm/.own", f"mount -n --move {q(root)} /dev/shm/.own",
        f"mount -n -t tmpfs -o size=1m,mode=755 tmpfs {q(shared_tmp)}",
        f"mkdir -p {q(root)}", f"mount -n --move /dev/shm/.own {q(root)}",
        f"mount -n -o remount,ro {q(shared_tmp)}",
    ]
    steps += [f"mount -n -t tmpfs -o size=1k,mode=000 tmpfs {q(p)}" if os.path.isdir(p)
              else f"mount -n --bind /dev/null {q(p)}" for p in hidden]
    # cd again: the kernel started in its folder before the moves.
    steps += [f"ulimit -v {memory_bytes // 1024}", f"cd {q(workdir)}", 'exec "$@"']
    return " && ".join(steps)


def kernel_spec_manager(root, workdir, sockets, hide=(), memory_bytes=MEMORY_LIMIT_BYTES):
    """A KernelSpecManager that knows one kernel, KERNEL_NAME, sandboxed to workdir (inside root)."""
    specs = tempfile.mkdtemp(prefix="kernelspec-", dir=sockets)
    inside = lambda path, folder: os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep)
    # The runs folder is hidden whole, so what lies in it needs no hiding of its own.
    hidden = [p for p in hidden_paths(hide) if not inside(root, p) and not inside(p, os.path.dirname(root))]
    hidden = [p for p in hidden if not any(inside(p, q) for q in hidden)]  # a hidden folder hides its contents
    argv = UNSHARE + ["--", "sh", "-c", _script(root, workdir, hidden, memory_bytes), "sandbox",
                      sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    os.makedirs(os.path.join(specs, KERNEL_NAME))
    # The notebook's HOME and TMPDIR are its working folder; the data sets already cached by the
    # setup cell stay visible (read-only), since there is no network to download them.
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    # One thread each: notebooks are graded side by side, and the small tensors of the tests run
    # several times slower when their threads fight over the cores.
    env = {"HOME": workdir, "TMPDIR": workdir, "XDG_CACHE_HOME": cache,
           "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib"), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with open(os.path.join(specs, KERNEL_NAME, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "Python 3 (grading sandbox)", "language": "python", "env": env}, f)
    return KernelSpecManager(kernel_dirs=[specs])
