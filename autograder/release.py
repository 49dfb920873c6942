"""Release: exercises/ generated from solutions/, deterministically.

The pipeline is nbgrader's own generate_assignment preprocessors, minus its database, plus one
step of ours that records which chapter and notebook the release came from (grading reads it).
"""
import nbformat
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
                                    ClearSolutions, ComputeChecksums, LockCells)

from . import layout
from .config import preprocess


def stamp_origin(nb, source):
    nb.metadata["course"] = {"chapter": source.parent.name, "notebook": source.stem}
    return nb


def released_notebook(source):
    """The student version of one source notebook, as a NotebookNode."""
    nb = preprocess(nbformat.read(source, as_version=4),
                    (CheckCellMetadata, LockCells, ClearSolutions, ClearHiddenTests, ClearMarkScheme,
                     ClearOutput, ComputeChecksums, CheckCellMetadata))
    return stamp_origin(nb, source)


def render(nb):
    return nbformat.writes(nb) + "\n"


def release(chapters=None, check=False):
    """Write (or, with check, compare) the released notebooks; returns the stale paths."""
    stale = []
    for chapter in chapters or layout.chapters():
        for source in layout.source_notebooks(chapter):
            target = layout.released_path(source)
            text = render(released_notebook(source))
            if target.exists() and target.read_text() == text:
                continue
            stale.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
    return stale
