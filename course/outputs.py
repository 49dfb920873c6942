"""Stored chapter outputs: produced by a full, seeded run, and known to be fresh.

A run records the sha256 of the code it ran in metadata.course.executed_code_sha256; when the
code changes and the outputs are not regenerated, the digests differ (tests check this).
"""
import hashlib
import os
import tempfile
import time

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from autograder.layout import DEVELOPMENT_DATA

from .stamps import chapter_notebooks


def code_digest(nb):
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256("\n\x00\n".join(sources).encode()).hexdigest()


def stale_reason(nb):
    """None when the stored outputs come from a full run of the current code, else why not."""
    recorded = nb.metadata.get("course", {}).get("executed_code_sha256")
    if recorded is None:
        return "it has never been executed by `python -m course execute`"
    if recorded != code_digest(nb):
        return "its code changed after its outputs were stored"
    if any(c.cell_type == "code" and c.execution_count is None for c in nb.cells):
        return "some code cells have no stored run"
    if any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells):
        return "its outputs come from a run with injected (test) parameters"
    return None


def merge_streams(nb):
    """One stream output per run of consecutive prints: the kernel splits text at arbitrary points."""
    for cell in nb.cells:
        merged = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (output.output_type == "stream" and previous is not None
                    and previous.output_type == "stream" and previous.name == output.name):
                previous.text += output.text
            else:
                merged.append(output)
        if cell.cell_type == "code":
            cell.outputs = merged


class UnknownChapter(ValueError):
    pass


def chapter_path(chapter):
    matches = [p for p in chapter_notebooks() if p.stem.startswith(chapter)]
    if len(matches) != 1:
        raise UnknownChapter(f"no chapter notebook book/{chapter}*.ipynb (chapters: "
                             f"{', '.join(p.stem for p in chapter_notebooks())})")
    return matches[0]


def execute(path):
    """Run a chapter top to bottom with its full parameters and store its outputs and widget state."""
    nb = nbformat.read(path, as_version=4)
    if "COURSE_DATA_DIR" not in os.environ and DEVELOPMENT_DATA.is_dir():
        os.environ["COURSE_DATA_DIR"] = str(DEVELOPMENT_DATA)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-execute-") as workdir:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(workdir, ".kernel"))
        NotebookClient(nb, km=km, timeout=None, store_widget_state=True, record_timing=False,
                       resources={"metadata": {"path": workdir}}).execute()
    seconds = time.perf_counter() - start
    merge_streams(nb)
    nb.metadata.setdefault("course", {})["executed_code_sha256"] = code_digest(nb)
    nbformat.write(nb, path)
    return seconds
