"""Our nbgrader configuration, built in code so that it applies from any directory
(nbgrader has no --config option; see SPEC §7)."""
from traitlets.config import Config

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def nbgrader_config():
    c = Config()
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
    c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
    c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
    c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
    c.LockCells.lock_grade_cells = True
    c.LockCells.lock_readonly_cells = True
    c.LockCells.lock_solution_cells = False
    return c
