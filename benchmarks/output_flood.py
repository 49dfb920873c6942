"""The peak memory of the grading process that talks to a sandboxed kernel (its talker) while the
kernel floods it with output (SPEC §5: output is cut as it arrives), and the grader's own. One
notebook displays 30 outputs of 50 MB each, another prints 1 GB in lines.

    python benchmarks/output_flood.py
"""
import resource
import time

import nbformat

from autograder import execute
from autograder.execute import run_notebook

FLOODS = {
    "display 30 x 50 MB": "from IPython.display import display\nfor i in range(30):\n"
                          "    display({'text/plain': 'y' * 50_000_000}, raw=True)",
    "print 1 GB in 1 MB lines": "import sys\nfor i in range(1000):\n    sys.stdout.write('z' * 2**20 + '\\n')",
}


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    bound = (execute.RECEIVE_QUEUE + 1) * execute.MAX_MESSAGE_BYTES / 2**20
    print(f"stated bound: about ({execute.RECEIVE_QUEUE} + 1) x {execute.MAX_MESSAGE_BYTES / 2**20:.0f} MB "
          f"= {bound:.0f} MB of messages in flight, per kernel")
    print(f"{'flood':<28} {'seconds':>8} {'kept chars':>11} {'talker peak MB':>15}")
    for name, source in FLOODS.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell("print('after')")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        start = time.perf_counter()
        run_notebook(nb, execute.Limits(cell_timeout=120, notebook_timeout=300))
        kept = sum(len(str(o)) for o in nb.cells[0].outputs)
        print(f"{name:<28} {time.perf_counter() - start:>8.1f} {kept:>11,} {execute.talker_peaks_mb[-1]:>15.0f}", flush=True)


if __name__ == "__main__":
    print(f"grader at start: {peak_mb():.0f} MB")
    main()
    print(f"grader's own peak: {peak_mb():.0f} MB")
