"""Scores that cannot be gained without being earned (issue: tamper-proof scoring), and
submissions that crash, hang or flood costing only their own points. Each submission of the
corpus must get its exact expected score."""
import json
import subprocess
import sys

import nbformat
import pytest

import corpus


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    paths = {}
    for i, (name, (nb, filename, expected)) in enumerate(corpus.submissions().items()):
        path = folder / f"{i:02d}" / filename
        path.parent.mkdir()
        nbformat.write(nb, path)
        paths[name] = path
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", "--json", "--jobs", "2", "--cell-timeout", "15",
                          *map(str, paths.values())], capture_output=True, text=True, cwd=folder)
    results = {r["notebook"]: r for r in json.loads(run.stdout)["results"]}
    return {name: results[str(path)] for name, path in paths.items()}


@pytest.mark.parametrize("name", list(corpus.submissions()))
def test_exact_score(graded, name):
    expected = corpus.submissions()[name][2]
    result = graded[name]
    failed = {p["id"]: p["message"] for p in result["parts"] if not p["passed"]}
    assert result["score"] == expected, (result["status"], result["error"], failed)
    if corpus.expected_message(name):
        assert result["status"] == "error" and corpus.expected_message(name) in result["error"]
    else:
        assert result["status"] == "graded" and result["max_score"] == corpus.FULL


def test_failure_messages_say_what_went_wrong(graded):
    parts = {p["id"]: p for p in graded["one part wrong"]["parts"]}
    assert "expected" in parts["numerical_derivative"]["message"] and "got" in parts["numerical_derivative"]["message"]
    hang = {p["id"]: p for p in graded["hangs in one part"]["parts"]}
    assert "NameError" in hang["softmax_nll"]["message"]
    always = {p["id"]: p for p in graded["an answer whose == is always true"]["parts"]}
    assert "got 0.0" in always["numerical_derivative"]["message"]  # a float subclass is read as a plain float
