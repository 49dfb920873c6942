"""Reading nbgrader's cell metadata."""


def nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell):
    return nbgrader(cell).get("grade_id")


# A notebook's one cell of helpers shared by its hidden tests: a locked grade cell worth 0 points
# (nbgrader keeps hidden tests only in grade cells) that is not a part. The kernel runs it in
# its place; the grader loads it before each part's hidden block.
JUDGE_HELPERS = "judge_helpers"


def is_grade_cell(cell):
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and meta.get("grade", False) and not meta.get("solution", False)


def is_test(cell):
    """An autograder test cell: a graded part, not an answer the student writes."""
    return is_grade_cell(cell) and grade_id(cell) != JUDGE_HELPERS


def is_judge_helpers(cell):
    return is_grade_cell(cell) and grade_id(cell) == JUDGE_HELPERS


def is_locked(cell):
    meta = nbgrader(cell)
    return meta.get("locked", False) and not meta.get("solution", False)


def points(cell):
    return float(nbgrader(cell).get("points", 0))


# nbgrader's delimiters, as it matches them (anywhere in a line); our notebooks write "### " before each.
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def hidden_tests(cell):
    """The source of a test cell's hidden-test block ('' when it has none): the lines between the
    delimiter lines, as nbgrader's ClearHiddenTests removes them."""
    block, inside = [], False
    for line in cell.get("source", "").split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif inside:
            block.append(line)
    return "\n".join(block) + "\n" if block else ""
