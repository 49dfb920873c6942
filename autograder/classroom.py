"""Autograde a whole class into its gradebook: a pipeline of small named steps

    find collected submissions -> record the assignments -> skip what is graded and unchanged
    -> grade in parallel, each as a task that carries the submission's bytes and its source's
       (on its own seed, against the reference run on that seed; on this machine's cores, or on a
       Dask cluster's workers: cluster.py)
    -> record each result -> keep its executed notebook -> write its feedback -> export grades.csv

Workers only grade; this process alone writes the gradebook, one submission per transaction, as
results arrive. Interrupted (Ctrl-C, a killed process), a run loses at most the notebooks that
were running; the next run grades exactly what is missing. Tasks are handed out a few at a time
(twice the number of slots), so a class of any size is never all in memory at once.
"""
import concurrent.futures
import dataclasses
import pathlib
import shutil
import sys
import time

import tqdm

import nbformat

from . import cluster, collect, export, feedback, layout, sandbox, tasks
from .execute import Limits
from .gradebook import ClassGradebook


class Interrupted(KeyboardInterrupt):
    pass


class NoSandbox(RuntimeError):
    pass


@dataclasses.dataclass
class Summary:
    graded: int = 0
    errors: int = 0
    unchanged: int = 0
    problems: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0


def _sources(submissions):
    """{(chapter, notebook): source path} for the submissions' notebooks."""
    found = {(s.chapter, s.notebook): layout.source_notebook(s.chapter, s.notebook) for s in submissions}
    return {key: source for key, source in found.items() if source}


def record_one(course, book, submission, sha256, result, executed):
    """A result, as it arrives: its grades in the gradebook (one transaction), the executed
    notebook for the instructor, the feedback page for the student."""
    book.record(submission, sha256, result)
    keep_executed(course, submission, executed and nbformat.reads(executed, as_version=4))
    feedback.write(course, submission.student, submission.chapter, submission.notebook, result)


def keep_executed(course, submission, executed):
    """The instructor's copy of what ran (nbgrader's autograded/ folder), never shown to the
    student: the executed notebook, or the submitted file when it could not be run."""
    target = course / "autograded" / submission.student / submission.chapter / submission.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if executed is not None:
        nbformat.write(executed, target)
    else:
        shutil.copyfile(submission.path, target)


def autograde(course, db_url, jobs=None, force=False, limits=Limits(), progress=True, unsandboxed=False,
              scheduler=None, local_cluster=None):
    """Grade what is new or changed. jobs: processes of this machine; or scheduler (a Dask
    scheduler's address) or local_cluster (a LocalCluster of that many workers)."""
    started, summary = time.monotonic(), Summary()
    if not sandbox.available() and not unsandboxed and not scheduler:  # a cluster's workers say for themselves
        raise NoSandbox(f"the sandbox cannot run here ({sandbox.problems()[0]}), and a class's notebooks are not "
                        "graded without it: install bubblewrap, or pass --no-sandbox to run them with your permissions")
    course = pathlib.Path(course).resolve()
    submissions = collect.submitted(course)
    sources = _sources(submissions)
    with ClassGradebook(db_url) as book:
        for (chapter, _), source in sorted(sources.items()):
            book.add_assignment(chapter, source)
        graded = book.graded()
        known = [s for s in submissions if (s.chapter, s.notebook) in sources]
        pending = [s for s in known if force or graded.get(s.key) != collect.sha256(s.path)]
        summary.unchanged = len(known) - len(pending)
        runner = cluster.runner(jobs, scheduler, local_cluster, sandboxed=not unsandboxed)
        expected = tasks.expected_environment(not unsandboxed)
        bar = tqdm.tqdm(total=len(pending), unit="notebook", file=sys.stderr, disable=not progress or not pending,
                        dynamic_ncols=True)
        try:
            waiting, running = iter(pending), {}
            while True:
                while len(running) < 2 * runner.slots() and (submission := next(waiting, None)):
                    task = tasks.make_task(submission, str(submission.path.relative_to(course)),
                                           sources[(submission.chapter, submission.notebook)], limits,
                                           not unsandboxed, expected)
                    running[runner.submit(task)] = (submission, task.sha256)
                if not running:
                    break
                done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    submission, sha256 = running.pop(future)
                    try:
                        result, executed = future.result()
                    except runner.lost as err:  # not recorded: the next run grades it again
                        summary.problems.append(f"{submission.path.relative_to(course)}: not graded: "
                                                f"{type(err).__name__}: {err} (run autograde again to grade it)")
                    else:
                        record_one(course, book, submission, sha256, result, executed)
                        summary.graded += 1
                        summary.errors += result["status"] != "graded"
                        bar.set_postfix_str(f"{submission.student} {result['score']:g}/{result['max_score']:g}",
                                            refresh=False)
                    bar.update(1)
        except KeyboardInterrupt:
            runner.stop()
            raise Interrupted(f"interrupted: {summary.graded} notebooks graded and saved in this run; "
                              "run autograde again to grade the rest") from None
        finally:
            bar.close()
            runner.close()
        (course / "grades.csv").write_text(export.grades_csv(book))
    summary.seconds = time.monotonic() - started
    return summary


def write_feedback(course, db_url):
    with ClassGradebook(db_url) as book:
        return [feedback.write(course, *row) for row in book.results()]


def export_csv(db_url):
    with ClassGradebook(db_url) as book:
        return export.grades_csv(book)
