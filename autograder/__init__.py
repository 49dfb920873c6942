"""The course's autograder: a thin layer over nbgrader 0.9 (SPEC §5).

`python -m autograder release` writes exercises/ from solutions/;
`python -m autograder grade NOTEBOOK...` grades notebooks against solutions/ without a database.
"""
