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
