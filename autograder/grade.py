"""Grade notebooks against the reference, without a database: a pipeline of small named steps

    read submission -> identify chapter -> restore test cells -> add collector -> execute
    -> collect probe outputs -> judge them against the reference's -> score

The reference solution runs once per chapter and grading run, with the same fresh seed as the
submissions, in its own kernel; judging happens in this process, which runs no student code.
Every failure of a step becomes an `error` result for that notebook alone.
"""
import concurrent.futures
import ctypes
import dataclasses
import json
import multiprocessing
import pathlib
import shutil
import signal

import nbformat

from . import cells, layout, probes
from .execute import KernelDied, run_notebook
from .judging import load_judge
from .restore import restore_test_cells
from .score import score_parts


class GradingError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a run of student code is held to: time limits, and folders it must not see."""
    cell_timeout: float = 60
    notebook_timeout: float = 300
    hide: tuple = ()


def read_submission(path):
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise GradingError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise GradingError(f"{path} is a folder, not a notebook") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GradingError(f"cannot read {path}: {err}") from None
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, KeyError, AttributeError, TypeError):
        raise GradingError(f"{path} is not a Jupyter notebook (invalid JSON or notebook format)") from None


def identify(submission, path):
    try:
        return layout.identify(submission, path)
    except layout.UnknownChapter as err:
        raise GradingError(str(err)) from None


def execute(nb, seed, limits):
    nb = probes.add_collector(nb, seed)
    try:
        stopped_early = run_notebook(nb, limits.cell_timeout, limits.notebook_timeout, limits.hide)
    except KernelDied as err:
        raise GradingError(str(err)) from None
    return nb, stopped_early


def judges(source):
    """{part: judge} from the hidden-test blocks of the source notebook."""
    found = {}
    for cell in source.cells:
        if cells.is_test(cell):
            part, hidden = cells.grade_id(cell), cells.hidden_tests(cell)
            if "def _probe(" not in hidden:
                raise GradingError(f"test cell {part!r} of the source has no _probe in its hidden tests")
            found[part] = load_judge(hidden, part)
    return found


def reference_outputs(source_path, seed, limits=Limits()):
    """{part: what the reference's probe returned} for this seed; a failure here is the course's bug."""
    nb, stopped_early = execute(nbformat.read(source_path, as_version=4), seed, limits)
    outputs = {}
    for cell in nb.cells:
        if not cells.is_test(cell):
            continue
        part, outcome, record = cells.grade_id(cell), cell.metadata.get("autograder"), probes.collected(cell)
        if outcome is None or outcome["status"] != "ok" or record is None or record[0] != "data":
            why = stopped_early or (outcome and outcome.get("evalue")) or (record and record[1]) or "no record"
            raise GradingError(f"the reference solution {source_path.name} failed part {part!r} ({why}); "
                               "this is a bug in the course, please report it")
        outputs[part] = record[1]
    return outputs


def grade_one(path, reference, seed, limits=Limits(), executed_to=None):
    """The JSON contract's result for one notebook (SPEC §5). reference: {source path: its
    reference outputs, or the GradingError that stopped them}. executed_to: where to keep the
    executed notebook, if anywhere."""
    result = {"notebook": str(path), "chapter": None, "status": "error", "score": 0.0,
              "max_score": 0.0, "error": None, "parts": []}
    try:
        submission = read_submission(path)
        chapter, source_path = identify(submission, path)
        result["chapter"] = chapter
        source = nbformat.read(source_path, as_version=4)
        want = reference[source_path]
        if isinstance(want, GradingError):
            raise want
        nb, stopped_early = execute(restore_test_cells(submission, source), seed, limits)
        parts = score_parts(nb, judges(source), want, stopped_early)
        if executed_to:  # for the instructor (nbgrader's autograded/ folder), never for the student
            pathlib.Path(executed_to).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, executed_to)
    except GradingError as err:
        result["error"] = str(err)
        _keep_ungraded(path, executed_to)
        return result
    except Exception as err:  # one bad notebook never stops the others (SPEC §5)
        result["error"] = f"the autograder failed on this notebook: {type(err).__name__}: {err}"
        _keep_ungraded(path, executed_to)
        return result
    result.update(status="graded", parts=parts, score=sum(p["score"] for p in parts),
                  max_score=sum(p["max_score"] for p in parts))
    return result


def _keep_ungraded(path, executed_to):
    """A notebook that could not be graded still goes where the instructor reviews them."""
    if executed_to and pathlib.Path(path).is_file():
        pathlib.Path(executed_to).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, executed_to)


def sources_of(paths):
    """The source notebooks the submissions belong to (unreadable ones are left to grade_one)."""
    found = set()
    for path in paths:
        try:
            found.add(identify(read_submission(path), path)[1])
        except GradingError:
            pass
    return sorted(found)


def _reference_or_error(source_path, seed, limits):
    try:
        return reference_outputs(source_path, seed, limits)
    except GradingError as err:
        return err
    except Exception as err:
        return GradingError(f"the reference solution {source_path.name} could not be run: {type(err).__name__}: {err}")


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


def references(sources, seed, limits, executor=None):
    """{source path: reference outputs or the GradingError that stopped them}. The reference is
    ours, so the tight limits meant for submissions do not apply to it, only generous ones."""
    limits = dataclasses.replace(limits, cell_timeout=max(limits.cell_timeout, 120),
                                 notebook_timeout=max(limits.notebook_timeout, 600))
    if executor is None:
        return {s: _reference_or_error(s, seed, limits) for s in sources}
    return dict(zip(sources, executor.map(_reference_or_error, sources, [seed] * len(sources),
                                          [limits] * len(sources))))


def grade_all(paths, jobs=1, limits=Limits(), seed=None):
    """Results in the order of paths; up to `jobs` notebooks run at once, each in its own process."""
    seed = seed or probes.fresh_seed()
    if jobs <= 1 or len(paths) <= 1:
        want = references(sources_of(paths), seed, limits)
        return [grade_one(p, want, seed, limits) for p in paths]
    with pool(jobs) as executor:
        want = references(sources_of(paths), seed, limits, executor)
        futures = [executor.submit(grade_one, p, want, seed, limits) for p in paths]
        return [f.result() for f in futures]
