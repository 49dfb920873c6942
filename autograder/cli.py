"""python -m autograder: release exercises, grade notebooks, and grade a whole class (SPEC §5).

A class, step by step (see the book's grading page):
  collect SOURCE      copy submissions (a folder per student, or a zip) into submitted/
  autograde           grade them in parallel into the gradebook; write feedback/ and grades.csv
  feedback, export    write the feedback pages or the CSV again from the gradebook
"""
import argparse
import os
import pathlib
import sys

from . import classroom, collect, gradebook, layout
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


def _course_and_db(args):
    course = pathlib.Path(args.course).resolve()
    return course, args.db or gradebook.default_url(course)


def _collect(args):
    try:
        lines = collect.collect(args.source, args.course, replace=args.replace)
    except collect.CollectError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for text, ok in lines:
        print(text, file=sys.stdout if ok else sys.stderr)
    done = sum(ok for _, ok in lines)
    print(f"{done} notebooks in {pathlib.Path(args.course, 'submitted')}, {len(lines) - done} skipped")
    return 0 if done == len(lines) else 1


def _autograde(args):
    course, db = _course_and_db(args)
    try:
        summary = classroom.autograde(course, db, args.jobs, force=args.force,
                                      limits=Limits(args.cell_timeout, args.timeout), progress=not args.quiet)
    except gradebook.GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except classroom.Interrupted as err:
        print(err, file=sys.stderr)
        return 130
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"graded {summary.graded} notebooks ({summary.errors} could not be graded) in {summary.seconds:.1f} s; "
          f"{summary.unchanged} already graded and unchanged (--force regrades them)")
    print(f"feedback in {course / 'feedback'}, grades in {course / 'grades.csv'}")
    return 1 if summary.problems or summary.errors else 0


def _feedback(args):
    course, db = _course_and_db(args)
    try:
        paths = classroom.write_feedback(course, db)
    except gradebook.GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} feedback pages in {course / 'feedback'}")
    return 0


def _export(args):
    course, db = _course_and_db(args)
    try:
        text = classroom.export_csv(db)
    except gradebook.GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.to == "-":
        sys.stdout.write(text)
    else:
        target = pathlib.Path(args.to) if args.to else course / "grades.csv"
        target.write_text(text)
        print(f"wrote {target}")
    return 0


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
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
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
    def class_options(command, help):
        c = sub.add_parser(command, help=help)
        c.add_argument("--course", default=".", metavar="DIR",
                       help="the class folder: submitted/, feedback/, grades.csv and gradebook.db (default: .)")
        c.add_argument("--db", metavar="URL", help="the gradebook (default: sqlite:///DIR/gradebook.db; "
                                                   "or postgresql://user:password@host/database)")
        return c

    c = sub.add_parser("collect", help="copy a class's submissions (a folder per student, or a zip) into DIR/submitted/")
    c.add_argument("source", metavar="SOURCE", help="a folder holding one folder per student, or a zip of it")
    c.add_argument("--course", default=".", metavar="DIR", help="the class folder (default: .)")
    c.add_argument("--replace", action="store_true",
                   help="take a new version of a notebook collected before (otherwise it is kept and reported)")
    c.set_defaults(run=_collect)

    a = class_options("autograde", "grade every collected submission into the gradebook, in parallel; "
                                   "write feedback and grades.csv")
    a.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1, metavar="N",
                   help=f"notebooks graded at once (default: the number of cores, {os.cpu_count()})")
    a.add_argument("--force", action="store_true", help="regrade submissions already graded and unchanged")
    a.add_argument("--timeout", type=_positive(float), default=300, metavar="SECONDS",
                   help="time limit for one whole notebook (default 300)")
    a.add_argument("--cell-timeout", type=_positive(float), default=60, metavar="SECONDS",
                   help="time limit for one cell (default 60)")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.set_defaults(run=_autograde)

    f = class_options("feedback", "write every graded notebook's HTML feedback to DIR/feedback/ again")
    f.set_defaults(run=_feedback)

    e = class_options("export", "write the gradebook's scores as CSV (one row per student and chapter)")
    e.add_argument("--to", metavar="FILE", help="where to write (default: DIR/grades.csv; - for stdout)")
    e.set_defaults(run=_export)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return args.run(args)
