"""Grade notebooks against the reference, without a database: a pipeline of small named steps

    read submission -> identify chapter -> restore test cells -> execute -> score

Every failure of a step becomes an `error` result for that notebook alone.
"""
import concurrent.futures
import json
import multiprocessing

import nbformat

from . import layout
from .execute import KernelDied, run_notebook
from .restore import restore_test_cells
from .score import score_parts


class GradingError(Exception):
    pass


def read_submission(path):
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise GradingError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GradingError(f"cannot read {path}: {err}") from None
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, KeyError, AttributeError, TypeError):
        raise GradingError(f"{path} is not a Jupyter notebook (invalid JSON or notebook format)") from None


def grade_one(path, cell_timeout=60, notebook_timeout=300):
    """The JSON contract's result for one notebook (SPEC §5)."""
    result = {"notebook": str(path), "chapter": None, "status": "error", "score": 0.0,
              "max_score": 0.0, "error": None, "parts": []}
    try:
        submission = read_submission(path)
        try:
            chapter, source_path = layout.identify(submission, path)
        except layout.UnknownChapter as err:
            raise GradingError(str(err)) from None
        result["chapter"] = chapter
        source = nbformat.read(source_path, as_version=4)
        nb = restore_test_cells(submission, source)
        try:
            stopped_early = run_notebook(nb, cell_timeout, notebook_timeout)
        except KernelDied as err:
            raise GradingError(str(err)) from None
        parts = score_parts(nb, stopped_early)
    except GradingError as err:
        result["error"] = str(err)
        return result
    except Exception as err:  # one bad notebook never stops the others (SPEC §5)
        result["error"] = f"the autograder failed on this notebook: {type(err).__name__}: {err}"
        return result
    result.update(status="graded", parts=parts, score=sum(p["score"] for p in parts),
                  max_score=sum(p["max_score"] for p in parts))
    return result


def grade_all(paths, jobs=1, cell_timeout=60, notebook_timeout=300):
    """Results in the order of paths; up to `jobs` notebooks run at once, each in its own process."""
    if jobs <= 1 or len(paths) <= 1:
        return [grade_one(p, cell_timeout, notebook_timeout) for p in paths]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(grade_one, p, cell_timeout, notebook_timeout) for p in paths]
        return [f.result() for f in futures]
