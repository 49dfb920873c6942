"""Fair grades (issue 19 §1, §3): every fairness case (a correct answer written in another style,
tests/fairness_cases/) scores full marks in 5 gradings out of 5, and every chapter's reference and
blank exercise keep their scores (full marks, 0 on every part) in 5 gradings out of 5. The tests
that grade are marked slow; the checks of the harness itself are not.

Grading goes through the real CLI, `python -m autograder grade --json --jobs 2`, one call per round
with every notebook in it; each call draws a fresh seed per notebook. Only the notebooks that the
selected tests need are graded: `pytest tests/test_fairness.py -k 04_batchnorm` grades one chapter.
FAIRNESS_ROUNDS=N changes the number of rounds (5 by default)."""
import json
import os
import subprocess
import sys
import time

import nbformat
import pytest

import fairness
from conftest import ROOT

ROUNDS = int(os.environ.get("FAIRNESS_ROUNDS", "5"))
CHAPTERS = sorted(p.name for p in fairness.SOLUTIONS.iterdir() if p.is_dir() and list(p.glob("*.ipynb")))


def _case_params():
    params = []
    for chapter in fairness.chapters():
        try:
            names = list(fairness.load_cases(chapter))
        except Exception as err:  # reported by the test, not at collection
            params.append(pytest.param(chapter, None, id=f"{chapter}/unreadable"))
            _BROKEN[chapter] = f"{type(err).__name__}: {err}"
            continue
        params += [pytest.param(chapter, name, id=f"{chapter}/{fairness.slug(name)}") for name in names]
    return params


_BROKEN = {}
CASE_PARAMS = _case_params()


def grade_cli(paths, cwd):
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "--json", "--jobs", "2",
                             *map(str, paths)], capture_output=True, text=True, cwd=cwd)
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"grade printed no JSON document (exit {result.returncode}):\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return {r["notebook"]: r for r in document["results"]}


def _selected(session):
    """(chapters whose reference and blank are needed, {(chapter, case)}) for the selected tests."""
    refs, wanted = set(), set()
    for item in session.items:
        if item.module is None or item.module.__name__ != __name__ or not hasattr(item, "callspec"):
            continue
        params = item.callspec.params
        if item.originalname == "test_case_scores_full_marks_every_time":
            wanted.add((params["chapter"], params["name"]))
        elif item.originalname == "test_reference_and_blank_keep_their_scores":
            refs.add(params["chapter"])
    return refs, wanted


@pytest.fixture(scope="module")
def rounds(request, tmp_path_factory):
    """{'paths': {key: notebook path}, 'results': [{key: result} per round], 'seconds': [...]}, where a
    key is ('case', chapter, name), ('reference', chapter) or ('blank', chapter)."""
    folder = tmp_path_factory.mktemp("fairness")
    refs, wanted = _selected(request.session)
    paths, errors = {}, {}
    for chapter in sorted({c for c, _ in wanted}):
        if chapter in _BROKEN:
            continue
        try:
            written = fairness.write_cases(chapter, folder / chapter)
        except fairness.CaseError as err:
            errors[chapter] = str(err)
            continue
        for name, path in written.items():
            if (chapter, name) in wanted:
                paths[("case", chapter, name)] = path
    for chapter in sorted(refs):
        source = fairness.source_notebooks(chapter)
        for path in source:
            paths[("reference", chapter, path.stem)] = path
            paths[("blank", chapter, path.stem)] = fairness.EXERCISES / chapter / path.name
    results, seconds = [], []
    for _ in range(ROUNDS if paths else 0):
        start = time.monotonic()
        graded = grade_cli(list(paths.values()), cwd=folder)
        seconds.append(time.monotonic() - start)
        results.append({key: graded.get(str(path)) for key, path in paths.items()})
    print(f"\nfairness: {len(paths)} notebooks x {len(results)} rounds, "
          f"{', '.join(f'{s:.0f}' for s in seconds)} s per round")
    return {"paths": paths, "results": results, "errors": errors}


def _problems(results, key, want_full):
    """One line per round and part that did not score as wanted."""
    lines = []
    for i, graded in enumerate(results, 1):
        r = graded[key]
        if r is None:
            lines.append(f"round {i}: no result")
            continue
        if r["status"] != "graded":
            lines.append(f"round {i}: {r['status']}: {r['error']}")
            continue
        if not r["parts"] or r["max_score"] <= 0:
            lines.append(f"round {i}: no graded parts")
        for part in r["parts"]:
            full = part["passed"] and part["score"] == part["max_score"]
            zero = not part["passed"] and part["score"] == 0.0
            if (want_full and not full) or (not want_full and not zero):
                message = " ".join(str(part.get("message") or "").split())[:400]
                lines.append(f"round {i}: part {part['id']} scored {part['score']:g}/{part['max_score']:g}"
                             f"{': ' + message if message else ''}")
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("chapter,name", CASE_PARAMS)
def test_case_scores_full_marks_every_time(rounds, chapter, name):
    assert chapter not in _BROKEN, f"tests/fairness_cases/{chapter}.py: {_BROKEN.get(chapter)}"
    assert chapter not in rounds["errors"], rounds["errors"].get(chapter)
    problems = _problems(rounds["results"], ("case", chapter, name), want_full=True)
    assert not problems, f"{chapter}, case {name!r} lost points:\n" + "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reference_and_blank_keep_their_scores(rounds, chapter):
    problems = []
    for path in fairness.source_notebooks(chapter):
        problems += [f"reference {path.stem}, {line}"
                     for line in _problems(rounds["results"], ("reference", chapter, path.stem), want_full=True)]
        problems += [f"blank {path.stem}, {line}"
                     for line in _problems(rounds["results"], ("blank", chapter, path.stem), want_full=False)]
    assert not problems, f"{chapter}:\n" + "\n".join(problems)


def test_a_case_naming_a_cell_that_is_not_an_answer_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "04_batchnorm.py").write_text("CASES = {'typo': {'no_such_cell': 'pass'}}\n")
    monkeypatch.setattr(fairness, "CASES_DIR", tmp_path)
    with pytest.raises(fairness.CaseError, match=r"'typo'.*'no_such_cell' is not an answer cell"):
        fairness.cases("04_batchnorm")
    (tmp_path / "04_batchnorm.py").write_text("CASES = {'a test cell': {'Linear': 'pass'}}\n")
    with pytest.raises(fairness.CaseError, match=r"'a test cell'.*'Linear' is not an answer cell"):
        fairness.cases("04_batchnorm")


def test_a_case_replaces_only_its_cells(monkeypatch):
    chapter = "04_batchnorm"
    original = nbformat.read(fairness.source_notebooks(chapter)[0], as_version=4)
    first = fairness.answer_ids(original)[0]
    monkeypatch.setattr(fairness, "load_cases", lambda c: {"x": {first: "# replaced\n"}})
    nb = fairness.cases(chapter)["x"]
    assert len(nb.cells) == len(original.cells)
    for a, b in zip(original.cells, nb.cells):
        replaced = a.metadata.get("nbgrader", {}).get("grade_id") == first
        assert b.source == ("# replaced\n" if replaced else a.source)
    assert nb.metadata["course"]["chapter"] == chapter
