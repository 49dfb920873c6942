"""python -m autograder: release exercises and grade notebooks (SPEC §5)."""
import argparse
import os
import sys

from . import layout
from .grade import Limits, grade_all
from .release import release
from .report import as_json, as_table


def _release(args):
    try:
        stale = release(args.chapters or None, check=args.check)
    except layout.UnknownChapter as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in stale:
        rel = path.relative_to(layout.ROOT)
        print(f"stale: {rel} differs from what release would write" if args.check else f"wrote {rel}")
    if args.check and stale:
        print("run `python -m autograder release` and commit exercises/", file=sys.stderr)
        return 1
    if not stale:
        print("exercises/ is up to date")
    return 0


def _grade(args):
    results = grade_all(args.notebooks, jobs=args.jobs, limits=Limits(args.cell_timeout, args.timeout),
                        seed=args.seed)
    print(as_json(results) if args.json else as_table(results))
    return 0 if all(r["status"] == "graded" for r in results) else 1


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value
    return parse


def parser():
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="generate exercises/ from solutions/")
    r.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter ids, e.g. 01_micrograd (default: all)")
    r.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 and name the stale files if exercises/ is out of date")
    r.set_defaults(run=_release)

    g = sub.add_parser("grade", help="grade notebooks against the reference solutions (no database)")
    g.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    g.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    g.add_argument("--timeout", type=_positive(float), default=300, metavar="SECONDS",
                   help="time limit for one whole notebook (default 300)")
    g.add_argument("--cell-timeout", type=_positive(float), default=60, metavar="SECONDS",
                   help="time limit for one cell (default 60)")
    g.add_argument("--jobs", type=_positive(int), default=1, metavar="N",
                   help=f"notebooks graded at once (default 1; this machine has {os.cpu_count()} cores)")
    g.add_argument("--seed", type=_positive(int), help=argparse.SUPPRESS)  # reproduce a run when debugging
    g.set_defaults(run=_grade)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return args.run(args)
