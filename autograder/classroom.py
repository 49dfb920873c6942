"""Autograde a whole class into its gradebook: a pipeline of small named steps

    find collected submissions -> record the assignments -> skip what is graded and unchanged
    -> grade in parallel (each on its own seed, against the reference run on that seed)
    -> record each result -> keep its executed notebook -> write its feedback -> export grades.csv

Workers only grade; this process alone writes the gradebook, one submission per transaction, as
results arrive. Interrupted (Ctrl-C, a killed process), a run loses at most the notebooks that
were running; the next run grades exactly what is missing.
"""
import concurrent.futures
import dataclasses
import multiprocessing
import pathlib
import shutil
import sys
import time

import tqdm

import nbformat

from . import collect, export, feedback, layout, sandbox
from .execute import Limits
from .gradebook import ClassGradebook
from .grade import grade_one, pool


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


def _stop(executor):
    executor.shutdown(wait=False, cancel_futures=True)
    for worker in multiprocessing.active_children():  # the pool's workers; their kernels die with them
        worker.kill()


def keep_executed(course, submission, executed):
    """The instructor's copy of what ran (nbgrader's autograded/ folder), never shown to the
    student: the executed notebook, or the submitted file when it could not be run."""
    target = course / "autograded" / submission.student / submission.chapter / submission.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if executed is not None:
        nbformat.write(executed, target)
    else:
        shutil.copyfile(submission.path, target)


def autograde(course, db_url, jobs, force=False, limits=Limits(), progress=True, unsandboxed=False):
    started, summary = time.monotonic(), Summary()
    if not sandbox.available() and not unsandboxed:
        raise NoSandbox(f"the sandbox cannot run here ({sandbox.problems()[0]}), and a class's notebooks are not "
                        "graded without it: install bubblewrap, or pass --no-sandbox to run them with your permissions")
    course = pathlib.Path(course).resolve()
    submissions = collect.submitted(course)
    sources = _sources(submissions)
    with ClassGradebook(db_url) as book:
        for (chapter, _), source in sorted(sources.items()):
            book.add_assignment(chapter, source)
        graded = book.graded()
        hashes = {s.key: collect.sha256(s.path) for s in submissions if (s.chapter, s.notebook) in sources}
        pending = [s for s in submissions if s.key in hashes and (force or graded.get(s.key) != hashes[s.key])]
        summary.unchanged = len(hashes) - len(pending)
        bar = None
        executor = pool(jobs)
        try:
            bar = tqdm.tqdm(total=len(pending), unit="notebook", file=sys.stderr,
                            disable=not progress or not pending, dynamic_ncols=True)
            futures = {executor.submit(grade_one, s.path, limits, None, sources[(s.chapter, s.notebook)]): s
                       for s in pending}
            for future in concurrent.futures.as_completed(futures):
                submission = futures[future]
                result, executed = future.result()
                result["notebook"] = str(submission.path.relative_to(course))
                book.record(submission, hashes[submission.key], result)
                keep_executed(course, submission, executed)
                feedback.write(course, submission.student, submission.chapter, submission.notebook, result)
                summary.graded += 1
                summary.errors += result["status"] != "graded"
                bar.set_postfix_str(f"{submission.student} {result['score']:g}/{result['max_score']:g}", refresh=False)
                bar.update(1)
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
            _stop(executor)
            raise Interrupted(f"interrupted: {summary.graded} notebooks graded and saved in this run; "
                              "run autograde again to grade the rest") from None
        bar.close()
        executor.shutdown(wait=True)
        (course / "grades.csv").write_text(export.grades_csv(book))
    summary.seconds = time.monotonic() - started
    return summary


def write_feedback(course, db_url):
    with ClassGradebook(db_url) as book:
        return [feedback.write(course, *row) for row in book.results()]


def export_csv(db_url):
    with ClassGradebook(db_url) as book:
        return export.grades_csv(book)
