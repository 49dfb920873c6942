"""Autograde a whole class into its gradebook: a pipeline of small named steps

    find collected submissions -> record the assignments -> skip what is graded and unchanged
    -> run the references -> grade in parallel -> record each result -> write its feedback
    -> export grades.csv

Workers only grade; this process alone writes the gradebook, one submission per transaction, as
results arrive. Interrupted (Ctrl-C, a killed process), a run loses at most the notebooks that
were running; the next run grades exactly what is missing.
"""
import concurrent.futures
import dataclasses
import os
import pathlib
import sys
import time

import sqlalchemy
import tqdm

from . import collect, export, feedback, layout, probes
from .gradebook import ClassGradebook
from .grade import Limits, grade_one, pool, references


class Interrupted(KeyboardInterrupt):
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


def _hidden(course, db_url):
    """What the students' kernels must not see: the class folder; or, when it holds what the
    kernels need (the course, Python, the data), its submissions, results and gradebook."""
    needed = [layout.ROOT, pathlib.Path(sys.prefix), pathlib.Path(os.environ.get("COURSE_DATA_DIR", "/nonexistent"))]
    if not any(p.resolve() == course or course in p.resolve().parents for p in needed):
        hide = [str(course)]
    else:
        hide = [str(course / name) for name in ("submitted", "autograded", "feedback", "gradebook.db", "grades.csv")]
    url = sqlalchemy.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database:
        hide.append(str(pathlib.Path(url.database).resolve()))
    return tuple(hide)


def _stop(executor):
    for process in list(getattr(executor, "_processes", {}).values()):  # their kernels die with them
        process.kill()
    executor.shutdown(wait=False, cancel_futures=True)


def autograde(course, db_url, jobs, force=False, limits=Limits(), progress=True):
    started, summary = time.monotonic(), Summary()
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
        limits = dataclasses.replace(limits, hide=limits.hide + _hidden(course, db_url))
        seed = probes.fresh_seed()
        bar = None
        executor = pool(jobs)
        try:
            reference = references(sorted({sources[(s.chapter, s.notebook)] for s in pending}), seed, limits, executor)
            summary.problems += [str(outcome) for outcome in reference.values() if isinstance(outcome, Exception)]
            runnable = [s for s in pending if not isinstance(reference[sources[(s.chapter, s.notebook)]], Exception)]
            bar = tqdm.tqdm(total=len(runnable), unit="notebook", file=sys.stderr,
                            disable=not progress or not runnable, dynamic_ncols=True)
            futures = {executor.submit(grade_one, s.path, reference, seed, limits,
                                       course / "autograded" / s.student / s.chapter / s.path.name): s
                       for s in runnable}
            for future in concurrent.futures.as_completed(futures):
                submission = futures[future]
                result = future.result()
                result["notebook"] = str(submission.path.relative_to(course))
                book.record(submission, hashes[submission.key], result)
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
