"""Wall time to run each chapter top to bottom with its small test parameters (SPEC §6: under
60 s), in a fresh kernel, as the tests do.

    python benchmarks/chapters.py
"""
import os
import tempfile
import time

import nbformat
import papermill

from autograder.layout import DEVELOPMENT_DATA
from course.stamps import chapter_notebooks

os.environ.setdefault("COURSE_DATA_DIR", str(DEVELOPMENT_DATA))


def main():
    print(f"{'chapter':<24} {'seconds':>8}")
    for path in chapter_notebooks():
        parameters = nbformat.read(path, as_version=4).metadata["course"]["test_parameters"]
        with tempfile.TemporaryDirectory() as workdir:
            start = time.perf_counter()
            papermill.execute_notebook(str(path), os.path.join(workdir, path.name), parameters=parameters,
                                       kernel_name="python3", cwd=workdir, progress_bar=False)
            print(f"{path.stem:<24} {time.perf_counter() - start:>8.1f}   (target: under 60 s)", flush=True)


if __name__ == "__main__":
    main()
