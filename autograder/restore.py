"""Restore every test cell of a submission from the source notebook.

Students can edit or delete test cells; what is graded is always the source's version, hidden
tests included. A deleted test cell is re-inserted after the cell with a grade id that precedes it
in the source (before the first such cell when none does: a judge_helpers cell runs first).
"""
import copy

from . import cells


def restore_test_cells(submission, source):
    nb = copy.deepcopy(submission)
    by_id = {}
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if gid is None:
            continue
        if gid in by_id:  # a copied cell: it keeps its code but loses the test's identity
            cell.metadata.pop("nbgrader", None)
        else:
            by_id[gid] = cell

    previous = None  # the submission cell that the next re-inserted test cell follows
    for reference in source.cells:
        gid = cells.grade_id(reference)
        if cells.is_test(reference) or (gid and cells.is_locked(reference)):
            restored = copy.deepcopy(reference)
            restored.outputs, restored.execution_count = [], None
            if gid in by_id:
                target = by_id[gid]
                target.clear()
                target.update(restored)
            else:
                position = nb.cells.index(previous) + 1 if previous is not None else _first_identified(nb)
                nb.cells.insert(position, restored)
                by_id[gid] = restored
            previous = by_id[gid]
        elif gid in by_id:
            previous = by_id[gid]
    return nb


def _first_identified(nb):
    return next((i for i, cell in enumerate(nb.cells) if cells.grade_id(cell)), len(nb.cells))
