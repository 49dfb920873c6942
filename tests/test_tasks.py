"""A worker's check of its own environment against the coordinator's (tasks.differences), alone."""
import copy

from autograder import tasks


def coordinator():
    return {"python": "3.11.7", "packages": {"torch": "2.13.0", "nbclient": "0.11.0"},
            "autograder code": "a" * 64, "data files": {"names.txt": "1" * 64, "tinyshakespeare.txt": "2" * 64},
            "sandbox": "required"}


def worker(**changes):
    found = {**copy.deepcopy(coordinator()), "sandbox": True}
    for key, value in changes.items():
        found[key] = value
    return found


def test_the_same_machine_lacks_nothing():
    assert tasks.differences(coordinator(), worker()) == []


def test_every_difference_is_named():
    found = worker(python="3.12.1", packages={"torch": "2.4.0"}, sandbox=False, **{
        "autograder code": "b" * 64, "data files": {"names.txt": "9" * 64}})
    problems = tasks.differences(coordinator(), found)
    assert problems[0] == "Python 3.12.1 (the coordinator has 3.11.7)"
    assert "torch 2.4.0 (the coordinator has 2.13.0)" in problems
    assert "nbclient missing (the coordinator has 0.11.0)" in problems
    assert any(p.startswith("another version of the autograder") for p in problems)
    assert "another names.txt than the coordinator's" in problems
    assert "the data file tinyshakespeare.txt (put it in $COURSE_DATA_DIR)" in problems
    assert any(p.startswith("the sandbox (") for p in problems)
    assert len(problems) == 7


def test_the_sandbox_is_not_asked_for_when_the_instructor_waived_it():
    expected = {**coordinator(), "sandbox": "not required"}
    assert tasks.differences(expected, worker(sandbox=False)) == []
    assert tasks.differences(coordinator(), worker(sandbox=False)) != []


def test_this_machine_matches_itself():
    assert tasks.differences(tasks.expected_environment(False), tasks.environment()) == []
    assert len(tasks.code_digest()) == 64
