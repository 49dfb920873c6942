"""python -m course: keep the course's notebooks consistent and their stored outputs fresh."""
import argparse
import sys

import nbformat

from . import outputs, stamps


def _sync(args):
    dirty = []
    for path in stamps.course_notebooks():
        nb = nbformat.read(path, as_version=4)
        if not args.check and stamps.stamp(nb, path):
            nbformat.write(nb, path)
            print(f"stamped {path.relative_to(stamps.ROOT)}")
        for problem in stamps.problems(nb, path):
            print(problem)
            dirty.append(problem)
    if dirty and args.check:
        print("run `python -m course sync`", file=sys.stderr)
    return 1 if dirty else 0


def _execute(args):
    chapters = args.chapters or [p.stem for p in stamps.chapter_notebooks()]
    try:
        paths = [outputs.chapter_path(chapter) for chapter in chapters]
    except outputs.UnknownChapter as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"executing {path.relative_to(stamps.ROOT)} with its full parameters ...", flush=True)
        seconds = outputs.execute(path)
        print(f"stored the outputs of {path.name} ({seconds:.0f} s)")
    return 0


def _status(args):
    stale = 0
    for path in stamps.chapter_notebooks():
        reason = outputs.stale_reason(nbformat.read(path, as_version=4))
        print(f"{path.name}: {'fresh' if reason is None else 'STALE: ' + reason}")
        stale += reason is not None
    return 1 if stale else 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sync", help="stamp the setup cell and the Colab badge into every notebook")
    s.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook needs stamping")
    s.set_defaults(run=_sync)
    e = sub.add_parser("execute", help="run chapters with their full parameters and store their outputs")
    e.add_argument("chapters", nargs="*", metavar="CHAPTER", help="e.g. 01_micrograd (default: every chapter)")
    e.set_defaults(run=_execute)
    st = sub.add_parser("status", help="say which chapters' stored outputs are stale")
    st.set_defaults(run=_status)
    args = p.parse_args(argv)
    return args.run(args)
