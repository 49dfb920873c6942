"""nbgrader, configured for this course: our configuration, built in code so that it applies
from any directory (nbgrader has no --config option; see SPEC §7), and running nbgrader's
preprocessors with it."""
from traitlets.config import Config

from . import cells

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def nbgrader_config():
    c = Config()
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.begin_solution_delimeter = cells.BEGIN_SOLUTION
    c.ClearSolutions.end_solution_delimeter = cells.END_SOLUTION
    c.ClearHiddenTests.begin_test_delimeter = cells.BEGIN_HIDDEN
    c.ClearHiddenTests.end_test_delimeter = cells.END_HIDDEN
    c.LockCells.lock_grade_cells = True
    c.LockCells.lock_readonly_cells = True
    c.LockCells.lock_solution_cells = False
    return c


def preprocess(nb, steps, resources=None):
    """Run nbgrader preprocessors, in order, with our configuration."""
    config, resources = nbgrader_config(), resources or {}
    for step in steps:
        nb, resources = step(config=config).preprocess(nb, resources)
    return nb
