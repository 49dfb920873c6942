"""The course's autograder: a thin layer over nbgrader 0.9 (SPEC §5).

`python -m autograder release` writes exercises/ from solutions/; `grade NOTEBOOK...` grades
notebooks against solutions/ without a database; `collect` and `autograde` grade a whole class
into nbgrader's gradebook.

The modules, in the order a submitted notebook passes through them:

    layout      where the course's files are; read a submitted file, tell its chapter
    restore     put back every test cell from the source (hidden tests included)
    probes      the collector added to each test cell, and decoding what it sends as plain data
    execute     run a notebook in a fresh kernel, within time and output limits, talked to by a
                process of its own (a kernel that crashes it costs only its own notebook)
    sandbox     the bubblewrap sandbox that kernel runs in (an allowlist of files, no network)
    judging     compare the probe outputs with the reference's, in the grading process
    score       a part's points from its executed test cell and its verdict
    grade       the steps above, for one notebook (STEPS), and for several at once
    report      what `grade` prints: tables, or the JSON document

For a class: collect (submissions into submitted/) -> classroom (autograde: each submission a
tasks.Task, graded by a cluster.py runner, this machine's processes or a Dask cluster's workers)
-> gradebook (nbgrader's database, and our results table) -> feedback (HTML pages), export (CSV).
Beside them: release (exercises/ from solutions/), config (nbgrader configured for the course),
cells (reading nbgrader's cell metadata), cli (the commands).
"""
