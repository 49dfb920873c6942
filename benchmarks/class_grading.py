"""Grade a class of submissions several ways and print the times:

    python -m autograder autograde --jobs 2
    python -m autograder autograde --jobs 1
    python -m autograder autograde --scheduler ADDRESS   (a Dask scheduler and two workers of one
                                                          thread each, started here on 127.0.0.1)
    nbgrader autograde                     (nbgrader 0.9's own, one notebook at a time)

The class: N students (default 40) of one chapter (default 01_micrograd), a mix of answered,
blank and partly answered notebooks, the same files for every way. Each run starts from an empty
gradebook. The cluster's time does not include starting it (printed apart); its overhead per
notebook is its time less --jobs 2's, over N.

    python benchmarks/class_grading.py [--students 40] [--chapter 01_micrograd] [--ways jobs2 cluster]
"""
import argparse
import json
import os
import signal
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import cells, config, layout  # noqa: E402

BIN = pathlib.Path(sys.executable).parent


def class_notebooks(chapter, students):
    """{student: notebook}: every third answered, every third blank, the rest half answered."""
    source_path = layout.source_notebooks(chapter)[0]
    source = nbformat.read(source_path, as_version=4)
    solved = [(cells.grade_id(c), c.source) for c in source.cells if cells.nbgrader(c).get("solution")]
    out = {}
    for i in range(students):
        nb = nbformat.read(layout.released_path(source_path), as_version=4)
        answered = {0: len(solved), 1: 0, 2: len(solved) // 2}[i % 3]
        for grade_id, text in solved[:answered]:
            for cell in nb.cells:
                if cells.grade_id(cell) == grade_id:
                    cell.source = text
        out[f"student{i + 1:03d}"] = nb
    return source_path, out


def timed(command, cwd, env=None):
    started = time.monotonic()
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    if run.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, command))} failed:\n{run.stderr[-3000:]}")
    return seconds


def class_folder(course, chapter, notebooks):
    for student, nb in notebooks.items():
        target = course / "submitted" / student / chapter / f"{layout.source_notebooks(chapter)[0].stem}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    return course


def ours(workdir, chapter, notebooks, jobs):
    course = class_folder(workdir / f"ours-jobs{jobs}", chapter, notebooks)
    return timed([sys.executable, "-m", "autograder", "autograde", "--jobs", str(jobs), "--quiet"], course)


def start_dask(workdir, workers):
    """A scheduler and `workers` one-thread workers on 127.0.0.1: (address, processes, seconds to start)."""
    import distributed
    started = time.monotonic()
    scheduler_file = workdir / "scheduler.json"
    new = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    processes = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(scheduler_file)], **new)]
    while not scheduler_file.exists():
        time.sleep(0.1)
    address = json.loads(scheduler_file.read_text())["address"]
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    processes += [subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard"],
                                   env=env, **new) for _ in range(workers)]
    with distributed.Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, processes, time.monotonic() - started


def on_dask(workdir, chapter, notebooks, workers=2):
    course = class_folder(workdir / "ours-dask", chapter, notebooks)
    address, processes, startup = start_dask(workdir, workers)
    try:
        seconds = timed([sys.executable, "-m", "autograder", "autograde", "--scheduler", address, "--quiet"], course)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    print(f"  (the cluster took {startup:.1f} s to start: a scheduler and {workers} workers)")
    return seconds


def nbgrader_config_file(path):
    lines = ["c = get_config()"]
    for section, values in config.nbgrader_config().items():
        for key, value in values.items():
            lines.append(f"c.{section}.{key} = {value!r}")
    path.write_text("\n".join(lines) + "\n")


def plain_nbgrader(workdir, chapter, source_path, notebooks):
    course = workdir / "nbgrader"
    (course / "source" / chapter).mkdir(parents=True)
    shutil.copy(source_path, course / "source" / chapter / source_path.name)
    nbgrader_config_file(course / "nbgrader_config.py")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run([str(BIN / "nbgrader"), "generate_assignment", chapter, "--force"], cwd=course,
                         capture_output=True, text=True, env=env)
    if run.returncode != 0:
        sys.exit(f"nbgrader generate_assignment failed:\n{run.stderr[-3000:]}")
    for student, nb in notebooks.items():
        target = course / "submitted" / student / chapter / source_path.name
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    return timed([str(BIN / "nbgrader"), "autograde", chapter, "--create"], course, env)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--chapter", default="01_micrograd", choices=layout.chapters())
    p.add_argument("--ways", nargs="+", choices=list(WAYS), default=list(WAYS))
    args = p.parse_args()
    source_path, notebooks = class_notebooks(args.chapter, args.students)
    print(f"{args.students} submissions of {args.chapter}, on {os.cpu_count()} cores:", flush=True)
    times = {}
    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as scratch:
        workdir = pathlib.Path(scratch)
        for way in args.ways:
            name, run = WAYS[way]
            times[name] = run(workdir, args.chapter, source_path, notebooks)
            print(f"  {name:<34} {times[name]:7.1f} s   {times[name] / args.students:5.2f} s per notebook", flush=True)
    base = times.get("autograde --jobs 2")
    for name, seconds in times.items():
        if base and name != "autograde --jobs 2":
            print(f"  {name} / autograde --jobs 2 = {seconds / base:.2f}")
    cluster = times.get(WAYS["cluster"][0])
    if base and cluster:
        print(f"  the scheduler's overhead: {(cluster - base) / args.students:+.2f} s per notebook "
              f"({cluster:.1f} s on 2 Dask workers against {base:.1f} s with --jobs 2)")


WAYS = {
    "jobs2": ("autograde --jobs 2", lambda w, c, s, n: ours(w, c, n, 2)),
    "jobs1": ("autograde --jobs 1", lambda w, c, s, n: ours(w, c, n, 1)),
    "cluster": ("autograde --scheduler (2 workers)", lambda w, c, s, n: on_dask(w, c, n)),
    "nbgrader": ("nbgrader autograde", lambda w, c, s, n: plain_nbgrader(w, c, s, n)),
}


if __name__ == "__main__":
    main()
