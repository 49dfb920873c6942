"""Grade a class of submissions three ways and print the times:

    python -m autograder autograde --jobs 2
    python -m autograder autograde --jobs 1
    nbgrader autograde                     (nbgrader 0.9's own, one notebook at a time)

The class: N students (default 40) of one chapter (default 01_micrograd), a mix of answered,
blank and partly answered notebooks, the same files for all three. Each run starts from an empty
gradebook. Usage: python benchmarks/class_grading.py [--students 40] [--chapter 01_micrograd]
"""
import argparse
import os
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


def ours(workdir, chapter, notebooks, jobs):
    course = workdir / f"ours-jobs{jobs}"
    for student, nb in notebooks.items():
        target = course / "submitted" / student / chapter / f"{layout.source_notebooks(chapter)[0].stem}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    return timed([sys.executable, "-m", "autograder", "autograde", "--jobs", str(jobs), "--quiet"], course)


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
    args = p.parse_args()
    source_path, notebooks = class_notebooks(args.chapter, args.students)
    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as scratch:
        workdir = pathlib.Path(scratch)
        times = {
            "autograde --jobs 2": ours(workdir, args.chapter, notebooks, 2),
            "autograde --jobs 1": ours(workdir, args.chapter, notebooks, 1),
            "nbgrader autograde": plain_nbgrader(workdir, args.chapter, source_path, notebooks),
        }
    print(f"{args.students} submissions of {args.chapter}, on {os.cpu_count()} cores:")
    for name, seconds in times.items():
        print(f"  {name:<20} {seconds:7.1f} s   {seconds / args.students:5.2f} s per notebook")
    base = times["autograde --jobs 2"]
    print(f"  autograde --jobs 1 / --jobs 2 = {times['autograde --jobs 1'] / base:.2f}")
    print(f"  nbgrader autograde / autograde --jobs 2 = {times['nbgrader autograde'] / base:.2f}")
    print(f"  nbgrader autograde / autograde --jobs 1 = {times['nbgrader autograde'] / times['autograde --jobs 1']:.2f}")


if __name__ == "__main__":
    main()
