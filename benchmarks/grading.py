"""Wall time to grade each exercise notebook, reference and blank (SPEC §6: at most 45 s each on
the course's 2-core machine, kernel start included), as `python -m autograder grade NOTEBOOK`
does it: the submission and the reference solution run at the same time, each in its kernel.
Beside it, the time with the two run one after the other (how grading worked before), in the
same run of this script, so that the ratio holds even on a busy machine.

    python benchmarks/grading.py                       # every chapter, reference and blank
    python benchmarks/grading.py solutions/03_mlp/mlp.ipynb
"""
import os
import pathlib
import platform
import sys
import time

from autograder import grade, layout, probes
from autograder.execute import run_notebooks

os.environ.setdefault("COURSE_DATA_DIR", str(layout.DEVELOPMENT_DATA))


def run_one_after_the_other(g):
    """grade.run, with the reference run first and the submission after it."""
    submission = probes.add_collector(g.restored, g.seed)
    reference = probes.add_collector(grade.copy.deepcopy(g.source), g.seed)
    reference_outcome, = run_notebooks([(reference, grade.reference_limits(g.limits))], kept_whole=probes.MIME)
    g.reference = grade.reference_outputs(reference, reference_outcome, g.source_path)
    outcome, = run_notebooks([(submission, g.limits)], kept_whole=probes.MIME)
    if isinstance(outcome, grade.KernelDied):
        raise grade.GradingError(str(outcome))
    g.executed, g.stopped_early = submission, outcome


ONE_AFTER_THE_OTHER = tuple(run_one_after_the_other if step is grade.run else step for step in grade.STEPS)


def timed(path, steps):
    start = time.perf_counter()
    result, _ = grade.grade_one(path, steps=steps)
    score = f"{result['score']:g}/{result['max_score']:g}" if result["status"] == "graded" else "error"
    return score, time.perf_counter() - start


def main(paths):
    load = os.getloadavg()[0]
    print(f"grading benchmark on {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {load:.1f}")
    print(f"{'notebook':<48} {'score':>8} {'at once':>8} {'in turn':>8} {'ratio':>6}")
    worst = 0.0
    for path in paths:
        score, together = timed(path, grade.STEPS)
        _, in_turn = timed(path, ONE_AFTER_THE_OTHER)
        worst = max(worst, together)
        shown = path.relative_to(layout.ROOT) if path.is_relative_to(layout.ROOT) else path
        print(f"{str(shown):<48} {score:>8} {together:>7.1f}s {in_turn:>7.1f}s {in_turn / together:>6.2f}", flush=True)
    print(f"slowest (at once): {worst:.1f} s (target: at most 45 s); load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    chosen = [pathlib.Path(p).resolve() for p in sys.argv[1:]]
    every = [p for c in layout.chapters() for s in layout.source_notebooks(c) for p in (s, layout.released_path(s))]
    main(chosen or every)
