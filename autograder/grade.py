"""Grade one notebook against the reference solution, without a database. The steps, in order
(STEPS), each a small function that fills in its part of a Grading:

    read -> identify -> restore_tests -> run -> judge

`run` executes the submission and the reference solution at the same time, each in its own
sandboxed kernel, on a seed drawn for this submission alone; `judge` compares their probe
outputs in this process, which runs no student code. A step that fails ends the grading of that
notebook alone, with an `error` result that says why (SPEC §5).
"""
import concurrent.futures
import copy
import ctypes
import dataclasses
import multiprocessing
import pathlib
import signal

import nbformat

from . import cells, layout, probes
from .execute import KernelDied, Limits, run_notebooks
from .judging import load_judges
from .restore import restore_test_cells
from .score import score_parts

__all__ = ["Limits", "grade_one", "grade_all", "STEPS"]


class GradingError(Exception):
    pass


@dataclasses.dataclass
class Grading:
    """One submission on its way through the steps."""
    path: pathlib.Path
    limits: Limits
    seed: int
    submission: nbformat.NotebookNode = None  # read
    chapter: str = None                       # identify
    source_path: pathlib.Path = None
    source: nbformat.NotebookNode = None
    restored: nbformat.NotebookNode = None    # restore_tests
    executed: nbformat.NotebookNode = None    # run
    stopped_early: str = None
    reference: dict = None                    # run: {part: what the reference's probe returned}
    parts: list = None                        # judge


def read(g):
    g.submission = layout.read_submission(g.path)


def identify(g):
    """The chapter and its source notebook, unless the caller knew them (a class's folders say)."""
    if g.source_path is None:
        _, g.source_path = layout.identify(g.submission, g.path)
    g.chapter = g.source_path.parent.name
    g.source = nbformat.read(g.source_path, as_version=4)


def restore_tests(g):
    """Every test cell as the source has it, hidden tests included (students may edit or delete them)."""
    g.restored = restore_test_cells(g.submission, g.source)


def reference_limits(limits):
    """The reference is ours, so the tight limits meant for submissions do not apply to it."""
    return dataclasses.replace(limits, cell_timeout=max(limits.cell_timeout, 120),
                               notebook_timeout=max(limits.notebook_timeout, 600))


def run(g):
    """The submission and the reference, at once, each with the probe collector on the same seed."""
    submission = probes.add_collector(g.restored, g.seed)
    reference = probes.add_collector(copy.deepcopy(g.source), g.seed)
    outcome, reference_outcome = run_notebooks([(submission, g.limits), (reference, reference_limits(g.limits))],
                                               kept_whole=probes.MIME)
    g.reference = reference_outputs(reference, reference_outcome, g.source_path)
    if isinstance(outcome, KernelDied):
        raise GradingError(str(outcome))
    g.executed, g.stopped_early = submission, outcome


def reference_outputs(executed, outcome, source_path):
    """{part: what the reference's probe returned}; a failure here is the course's bug."""
    outputs = {}
    for cell in executed.cells:
        if not cells.is_test(cell):
            continue
        part, ran, record = cells.grade_id(cell), cell.metadata.get("autograder"), probes.collected(cell)
        if isinstance(outcome, KernelDied) or ran is None or ran["status"] != "ok" or record is None or record[0] != "data":
            why = outcome or (ran and ran.get("evalue")) or (record and record[1]) or "no record"
            raise GradingError(f"the reference solution {source_path.name} failed part {part!r} ({why}); "
                               "this is a bug in the course, please report it")
        outputs[part] = record[1]
    return outputs


def judge(g):
    g.parts = score_parts(g.executed, load_judges(g.source), g.reference, g.stopped_early)


STEPS = (read, identify, restore_tests, run, judge)


def perform(g, steps):
    """Run steps on g in turn: None, or, when a step failed, the error result (SPEC §5) that says
    why, which ends the grading of this notebook."""
    try:
        for step in steps:
            step(g)
    except (GradingError, layout.SubmissionError) as err:
        return error_result(g, str(err))
    except Exception as err:  # one bad notebook never stops the others (SPEC §5)
        return error_result(g, f"the autograder failed on this notebook in its {step.__name__} step: "
                               f"{type(err).__name__}: {err}")
    return None


def error_result(g, why):
    return {"notebook": str(g.path), "chapter": g.chapter, "status": "error", "score": 0.0,
            "max_score": 0.0, "error": why, "parts": []}


def graded_result(g):
    return {"notebook": str(g.path), "chapter": g.chapter, "status": "graded",
            "score": sum(p["score"] for p in g.parts), "max_score": sum(p["max_score"] for p in g.parts),
            "error": None, "parts": g.parts}


def grade_one(path, limits=Limits(), seed=None, source_path=None, steps=STEPS):
    """(the JSON contract's result for one notebook, the executed notebook or None). Each
    submission is graded on a seed of its own, drawn here: a probe record made for one
    submission (or by another student's notebook) is worth nothing to any other.
    source_path: the submission's source notebook, when the caller has identified it."""
    g = Grading(pathlib.Path(path), limits, seed or probes.fresh_seed(), source_path=source_path)
    failed = perform(g, steps)
    return (failed, None) if failed else (graded_result(g), g.executed)


def _result_only(path, limits, seed):
    return grade_one(path, limits, seed)[0]


def _worker_init():
    """A worker dies with the process that started it (Linux), and leaves Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def pool(jobs):
    context = multiprocessing.get_context("spawn")  # no fork of a process that holds kernels and threads
    return concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init)


def grade_all(paths, jobs=1, limits=Limits(), seed=None):
    """Results in the order of paths; up to `jobs` notebooks run at once, each in its own process.
    seed: one seed for every notebook (to reproduce a grading); by default each draws its own."""
    if jobs <= 1 or len(paths) <= 1:
        return [_result_only(p, limits, seed) for p in paths]
    with pool(jobs) as executor:
        futures = [executor.submit(_result_only, p, limits, seed) for p in paths]
        return [f.result() for f in futures]
