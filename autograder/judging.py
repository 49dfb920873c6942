"""Judging, in the grading process that no student code ever runs in.

A part's hidden-test block (from solutions/, trusted) is executed here, in a fresh namespace, only
to define its judge: `_judge(got, want)` raises AssertionError with a message for the student when
`got` (the student's probe outputs) is wrong. `want` is what the reference solution's probe returned
for the same seed. Without a `_judge`, a part is judged by `same(got, want)`. The namespace holds
`same`, so judges can call it with their own tolerances.
"""
import contextlib
import math
import numbers
import signal
import threading

import numpy
import torch

from . import cells

JUDGE_SECONDS = 60  # per part; the slowest judges (Chapter 3's, which train) take a few seconds


class JudgeTimeout(BaseException):  # not an Exception: a judge's own `except Exception` cannot swallow it
    pass


WALL_CLOCK_FACTOR = 3  # a judge that waits rather than computes is stopped after this many times its limit


@contextlib.contextmanager
def time_limit(seconds):
    """Raise JudgeTimeout in this thread after `seconds` of this process's CPU time, or three times
    that of wall-clock time (SIGPROF and SIGALRM: the main thread only, which is where grading
    runs, in the grader and in its worker processes). CPU time, so that a judge that trains a
    network gets the same verdict on a busy machine as on an idle one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise JudgeTimeout()

    previous = {sig: signal.signal(sig, expired) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds * WALL_CLOCK_FACTOR)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _short(x, limit=120):
    text = repr(x.tolist() if isinstance(x, (torch.Tensor, numpy.ndarray)) else x)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _where(label):
    return f"{label}: " if label else ""


def same(got, want, rtol=1e-6, atol=1e-9, label=""):
    """Assert that got matches want: the same structure, equal strings, integers and booleans,
    and numbers and arrays within rtol/atol. The message names the first difference by its key."""
    at = _where(label)
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{at}expected a dict, got {_short(got)}"
        missing = [k for k in want if k not in got]
        assert not missing, f"{at}missing {missing[0]!r}"
        for key in want:
            same(got[key], want[key], rtol, atol, f"{label}, {key}" if label else str(key))
        return
    if isinstance(want, (list, tuple)):  # tuples arrive as lists: the two are one kind here
        assert isinstance(got, (list, tuple)), f"{at}expected a list of {len(want)}, got {_short(got)}"
        assert len(got) == len(want), f"{at}expected {len(want)} items, got {len(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            same(g, w, rtol, atol, f"{label}[{i}]")
        return
    if isinstance(want, (torch.Tensor, numpy.ndarray)):
        assert isinstance(got, (torch.Tensor, numpy.ndarray)), f"{at}expected a tensor, got {_short(got)}"
        g, w = torch.as_tensor(got), torch.as_tensor(want)
        assert tuple(g.shape) == tuple(w.shape), f"{at}expected shape {tuple(w.shape)}, got {tuple(g.shape)}"
        if w.is_floating_point():
            g, w = g.double(), w.double()
            bad = ~torch.isclose(g, w, rtol=rtol, atol=atol)
        else:
            assert not g.is_floating_point(), f"{at}expected whole numbers ({w.dtype}), got {g.dtype}"
            bad = g.long() != w.long()
        if bad.any():
            index = tuple(int(i) for i in bad.nonzero()[0])
            raise AssertionError(f"{at}at index {list(index)} expected {w[index].item():.8g}, got {g[index].item():.8g} "
                                 f"({int(bad.sum())} of {w.numel()} values differ)")
        return
    if isinstance(want, bool) or want is None or isinstance(want, str):
        assert type(got) is type(want) and got == want, f"{at}expected {_short(want)}, got {_short(got)}"
        return
    if isinstance(want, numbers.Real):
        assert isinstance(got, numbers.Real) and not isinstance(got, bool), f"{at}expected a number, got {_short(got)}"
        if isinstance(want, int) and isinstance(got, int):
            assert got == want, f"{at}expected {want}, got {got}"
            return
        ok = (math.isnan(want) and math.isnan(got)) or math.isclose(got, want, rel_tol=rtol, abs_tol=atol)
        assert ok, f"{at}expected {want:.10g}, got {got!r}"
        return
    raise TypeError(f"the reference returned a value judging cannot compare: {type(want).__name__}")


def load_judge(hidden_source, part, helpers=""):
    """The judge a hidden-test block defines, or same(). helpers: the hidden block of the
    notebook's judge_helpers cell, loaded first, as the kernel ran it before the part."""
    namespace = {"__name__": f"hidden_tests_{part}", "same": same}
    if helpers:
        exec(compile(helpers, f"<hidden {cells.JUDGE_HELPERS}>", "exec"), namespace)
    exec(compile(hidden_source, f"<hidden tests of {part}>", "exec"), namespace)
    return namespace.get("_judge", same)


def load_judges(source):
    """{part: judge} from the hidden-test blocks of a source notebook."""
    helpers = "".join(cells.hidden_tests(c) for c in source.cells if cells.is_judge_helpers(c))
    found = {}
    for cell in source.cells:
        if cells.is_test(cell):
            part, hidden = cells.grade_id(cell), cells.hidden_tests(cell)
            if "def _probe(" not in hidden:
                raise ValueError(f"test cell {part!r} of the source has no _probe in its hidden tests: "
                                 "this is a bug in the course, please report it")
            found[part] = load_judge(hidden, part, helpers)
    return found


def verdict(judge, got, want, seconds=JUDGE_SECONDS):
    """(passed, message) for the student's outputs, within a time limit. One torch thread: several
    gradings run at once, and a judge that trains a small network is many times slower fighting
    for cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with time_limit(seconds):
            judge(got, want)
    except JudgeTimeout:
        return False, f"judging these outputs took longer than {seconds:g} s of computing: they are too large or too slow to check"
    except AssertionError as err:
        return False, str(err) or "the outputs differ from the reference's"
    except Exception as err:  # the student's outputs broke the judge: wrong types, shapes...
        return False, f"unexpected outputs ({type(err).__name__}: {err})"
    finally:
        torch.set_num_threads(threads)
    return True, ""
