"""Wall time to grade each exercise notebook, reference and blank, one after another (SPEC §6:
at most 45 s each on the course's 2-core machine, kernel start included). Each is graded as
`python -m autograder grade NOTEBOOK` does it: the reference solution's run included.

    python benchmarks/grading.py
"""
import os
import pathlib
import platform
import time

from autograder import layout
from autograder.grade import grade_all

os.environ.setdefault("COURSE_DATA_DIR", str(layout.ROOT.parent / "shared" / "data"))


def main():
    print(f"grading benchmark on {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'notebook':<48} {'score':>11} {'seconds':>8}")
    worst = 0.0
    for chapter in layout.chapters():
        for source in layout.source_notebooks(chapter):
            for path in (source, layout.released_path(source)):
                start = time.perf_counter()
                result, = grade_all([path])
                seconds = time.perf_counter() - start
                worst = max(worst, seconds)
                score = f"{result['score']:g}/{result['max_score']:g}" if result["status"] == "graded" else "error"
                print(f"{str(pathlib.Path(path).relative_to(layout.ROOT)):<48} {score:>11} {seconds:>8.1f}", flush=True)
    print(f"slowest: {worst:.1f} s (target: at most 45 s)")


if __name__ == "__main__":
    main()
