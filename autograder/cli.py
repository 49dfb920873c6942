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

from . import classroom, cluster, collect, gradebook, layout, sandbox
from .execute import Limits
from .grade import grade_all
from .release import release
from .report import as_json, as_table


def _release(args):
    try:
        stale = release(args.chapters or None, check=args.check)
    except layout.UnknownChapter as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in stale:
        rel = path.relative_to(layout.ROOT) if path.is_relative_to(layout.ROOT) else path
        print(f"stale: {rel} differs from what release would write" if args.check else f"wrote {rel}")
    if args.check and stale:
        print("run `python -m autograder release` and commit exercises/", file=sys.stderr)
        return 1
    if not stale:
        print("exercises/ is up to date")
    return 0


def _warn_about_the_sandbox():
    if sandbox.warning():
        print(sandbox.warning(), file=sys.stderr)


def _grade(args):
    _warn_about_the_sandbox()
    results = grade_all(args.notebooks, jobs=args.jobs, limits=Limits(args.cell_timeout, args.timeout),
                        seed=args.seed)
    print(as_json(results) if args.json else as_table(results))
    return 0 if all(r["status"] == "graded" for r in results) else 1


DB_VARIABLE = "AUTOGRADER_DB_URL"


class UsageError(ValueError):
    pass


def _course_and_db(args):
    """The class folder and the gradebook's URL: --db, else $AUTOGRADER_DB_URL, else the folder's
    gradebook.db. A password never goes on a command line, where any user can read it."""
    course = pathlib.Path(args.course).resolve()
    if args.db and gradebook.has_password(args.db):
        raise UsageError(f"--db holds a password, which every user of this machine can read in the process list: "
                         f"put the URL in ${DB_VARIABLE} instead, or the password in ~/.pgpass or $PGPASSWORD")
    return course, args.db or os.environ.get(DB_VARIABLE) or gradebook.default_url(course)


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
    if sandbox.available() or args.no_sandbox:
        _warn_about_the_sandbox()
    try:
        course, db = _course_and_db(args)
        if args.jobs and (args.scheduler or args.cluster):
            raise UsageError("--jobs is for this machine's cores; on a cluster, each worker's --nthreads says how "
                             "many notebooks it grades at once")
        summary = classroom.autograde(course, db, args.jobs or os.cpu_count() or 1, force=args.force,
                                      unsandboxed=args.no_sandbox, limits=Limits(args.cell_timeout, args.timeout),
                                      progress=not args.quiet, scheduler=args.scheduler, local_cluster=args.cluster)
    except (gradebook.GradebookError, UsageError, classroom.NoSandbox, cluster.ClusterError) as err:
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


def _nbgrader_config(args):
    from . import nbgrader_steps  # nbgrader's converters load slowly: only for this command
    try:
        course, db = _course_and_db(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    target = course / "nbgrader_config.py"
    text = nbgrader_steps.config_file(course, args.db, Limits(args.cell_timeout, args.timeout))
    if target.exists() and target.read_text() != text and not args.force:
        print(f"error: {target} exists and differs from the configuration this command writes: "
              "pass --force to replace it (keep a copy of your changes)", file=sys.stderr)
        return 2
    course.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(f"wrote {target}: nbgrader's commands run in {course} (and its formgrader) now grade with this course's "
          "autograder, e.g. `nbgrader generate_assignment 01_micrograd`, then `nbgrader autograde 01_micrograd`")
    return 0


def _feedback(args):
    try:
        course, db = _course_and_db(args)
        paths = classroom.write_feedback(course, db)
    except (gradebook.GradebookError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} feedback pages in {course / 'feedback'}")
    return 0


def _export(args):
    try:
        course, db = _course_and_db(args)
        text = classroom.export_csv(db)
    except (gradebook.GradebookError, UsageError) as err:
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


def _limits(command):
    """How long a notebook may run: the options of every command that grades."""
    defaults = Limits()
    command.add_argument("--timeout", type=_positive(float), default=defaults.notebook_timeout, metavar="SECONDS",
                         help=f"time limit for one whole notebook (default {defaults.notebook_timeout:g})")
    command.add_argument("--cell-timeout", type=_positive(float), default=defaults.cell_timeout, metavar="SECONDS",
                         help=f"time limit for one cell (default {defaults.cell_timeout:g})")


def _jobs(command, default, help):
    command.add_argument("--jobs", type=_positive(int), default=default, metavar="N", help=help)


def _class_folder(command):
    command.add_argument("--course", default=".", metavar="DIR",
                         help="the class folder: submitted/, feedback/, grades.csv and gradebook.db (default: .)")


def _gradebook(command):
    command.add_argument("--db", metavar="URL", help=f"the gradebook (default: ${DB_VARIABLE}, else "
                         "sqlite:///DIR/gradebook.db); for PostgreSQL, postgresql://user@host/database "
                         f"with the password in ~/.pgpass or $PGPASSWORD, or the whole URL in ${DB_VARIABLE}")


def parser():
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    cores = os.cpu_count() or 1

    r = sub.add_parser("release", help="generate exercises/ from solutions/")
    r.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter ids, e.g. 01_micrograd (default: all)")
    r.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 and name the stale files if exercises/ is out of date")
    r.set_defaults(run=_release)

    g = sub.add_parser("grade", help="grade notebooks against the reference solutions (no database)")
    g.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    g.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    _limits(g)
    _jobs(g, 1, f"notebooks graded at once (default 1; this machine has {cores} cores)")
    g.add_argument("--seed", type=_positive(int), help=argparse.SUPPRESS)  # reproduce a run when debugging
    g.set_defaults(run=_grade)

    c = sub.add_parser("collect", help="copy a class's submissions (a folder per student, or a zip) into DIR/submitted/")
    c.add_argument("source", metavar="SOURCE", help="a folder holding one folder per student, or a zip of it")
    _class_folder(c)
    c.add_argument("--replace", action="store_true",
                   help="take a new version of a notebook collected before (otherwise it is kept and reported)")
    c.set_defaults(run=_collect)

    a = sub.add_parser("autograde", help="grade every collected submission into the gradebook, in parallel; "
                                         "write feedback and grades.csv")
    _class_folder(a)
    _gradebook(a)
    _limits(a)
    _jobs(a, None, f"notebooks graded at once on this machine (default: the number of cores, {cores})")
    where = a.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on the workers of the Dask scheduler at ADDRESS (tcp://HOST:PORT, or tls://); "
                            "this machine only writes the gradebook (see the book's grading page)")
    where.add_argument("--cluster", type=_positive(int), metavar="N",
                       help="start a Dask LocalCluster of N workers on this machine and grade there")
    a.add_argument("--force", action="store_true", help="regrade submissions already graded and unchanged")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.add_argument("--no-sandbox", action="store_true",
                   help="grade even where the sandbox (bubblewrap) cannot run: student code then runs with your "
                        "permissions; without this, autograde refuses")
    a.set_defaults(run=_autograde)

    n = sub.add_parser("nbgrader-config", help="write DIR/nbgrader_config.py, so that nbgrader's own autograde "
                                               "and its formgrader grade with this course's autograder")
    _class_folder(n)
    _gradebook(n)
    _limits(n)
    n.add_argument("--force", action="store_true", help="replace an nbgrader_config.py that differs")
    n.set_defaults(run=_nbgrader_config)

    f = sub.add_parser("feedback", help="write every graded notebook's HTML feedback to DIR/feedback/ again")
    _class_folder(f)
    _gradebook(f)
    f.set_defaults(run=_feedback)

    e = sub.add_parser("export", help="write the gradebook's scores as CSV (one row per student and chapter)")
    _class_folder(e)
    _gradebook(e)
    e.add_argument("--to", metavar="FILE", help="where to write (default: DIR/grades.csv; - for stdout)")
    e.set_defaults(run=_export)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return args.run(args)
