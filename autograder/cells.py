"""Reading nbgrader's cell metadata."""


def nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell):
    return nbgrader(cell).get("grade_id")


def is_test(cell):
    """An autograder test cell: graded, and not an answer the student writes."""
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and meta.get("grade", False) and not meta.get("solution", False)


def is_locked(cell):
    meta = nbgrader(cell)
    return meta.get("locked", False) and not meta.get("solution", False)


def points(cell):
    return float(nbgrader(cell).get("points", 0))


BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def hidden_tests(cell):
    """The source of a test cell's hidden-test block ('' when it has none)."""
    source = cell.get("source", "")
    if BEGIN_HIDDEN not in source:
        return ""
    return source.split(BEGIN_HIDDEN, 1)[1].split(END_HIDDEN, 1)[0]
