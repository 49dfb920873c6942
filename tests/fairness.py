"""Fairness cases (issue 19): correct answers written independently of the reference, in other
styles, each of which must score full marks every time it is graded.

A chapter's cases live in tests/fairness_cases/<chapter>.py, which defines

    CASES = {"short description of the style": {"<grade_id of an answer cell>": '''new source''', ...}}

A case is the chapter's reference notebook (solutions/<chapter>/*.ipynb) with the named answer
cells' sources replaced. `cases(chapter)` builds them; from the command line,

    python tests/fairness.py CHAPTER OUTDIR

writes them as OUTDIR/<notebook>-<case>.ipynb (and prints which file is which), ready for
`python -m autograder grade --json --jobs 2 OUTDIR/*.ipynb`.

This module reads nbgrader's metadata itself (it imports nothing of autograder/), so that it runs
as a script from any folder.
"""
import copy
import importlib.util
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
CASES_DIR = pathlib.Path(__file__).resolve().parent / "fairness_cases"


class CaseError(ValueError):
    """A fairness case that cannot be built (a grade_id that is not an answer cell, a bad file)."""


def chapters():
    """Chapters that have a fairness-case file, in order."""
    return sorted(p.stem for p in CASES_DIR.glob("[0-9][0-9]_*.py"))


def case_file(chapter):
    return CASES_DIR / f"{chapter}.py"


def load_cases(chapter):
    """The CASES dict of tests/fairness_cases/<chapter>.py: {name: {grade_id: source}}."""
    path = case_file(chapter)
    if not path.is_file():
        raise CaseError(f"no fairness cases for {chapter!r}: {path} does not exist")
    spec = importlib.util.spec_from_file_location(f"fairness_cases_{chapter}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, "CASES", None)
    if not isinstance(found, dict) or not found:
        raise CaseError(f"{path} must define CASES = {{name: {{grade_id: source}}}} with at least one case")
    for name, replacements in found.items():
        if not isinstance(name, str) or not isinstance(replacements, dict) or not replacements:
            raise CaseError(f"{path}: case {name!r} must map grade_ids to new sources (a non-empty dict)")
        for grade_id, source in replacements.items():
            if not isinstance(source, str):
                raise CaseError(f"{path}: case {name!r}, cell {grade_id!r}: the new source must be a string")
    return found


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_ids(nb):
    """grade_ids of a notebook's answer cells (nbgrader solution cells)."""
    return [_nbgrader(c)["grade_id"] for c in nb.cells
            if _nbgrader(c).get("solution") and _nbgrader(c).get("grade_id")]


def source_notebooks(chapter):
    notebooks = sorted((SOLUTIONS / chapter).glob("*.ipynb"))
    if not notebooks:
        raise CaseError(f"no reference notebook in {SOLUTIONS / chapter}")
    return notebooks


def _reference_for(chapter, name, replacements, references):
    """The one reference notebook of the chapter whose answer cells include every named grade_id."""
    ids = set(replacements)
    fits = [path for path, nb in references.items() if ids <= set(answer_ids(nb))]
    if len(fits) == 1:
        return fits[0]
    known = sorted({i for nb in references.values() for i in answer_ids(nb)})
    unknown = sorted(ids - set(known))
    if unknown:
        raise CaseError(f"fairness case {name!r} of {chapter}: {', '.join(map(repr, unknown))} "
                        f"{'is not an answer cell' if len(unknown) == 1 else 'are not answer cells'} of "
                        f"{', '.join(str(p.relative_to(ROOT)) for p in references)} "
                        f"(its answer cells: {', '.join(known)})")
    raise CaseError(f"fairness case {name!r} of {chapter}: its cells {sorted(ids)} are not all in one notebook"
                    if not fits else f"fairness case {name!r} of {chapter}: its cells fit several notebooks")


def cases(chapter):
    """{case name: notebook}: each the chapter's reference notebook with the case's answer cells
    replaced (outputs cleared, course metadata naming the chapter and notebook)."""
    found = load_cases(chapter)
    references = {path: nbformat.read(path, as_version=4) for path in source_notebooks(chapter)}
    built = {}
    for name, replacements in found.items():
        path = _reference_for(chapter, name, replacements, references)
        nb = copy.deepcopy(references[path])
        for cell in nb.cells:
            grade_id = _nbgrader(cell).get("grade_id")
            if _nbgrader(cell).get("solution") and grade_id in replacements:
                cell.source = replacements[grade_id]
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.metadata.setdefault("course", {}).update({"chapter": chapter, "notebook": path.stem})
        built[name] = nb
    return built


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "case"


def file_names(chapter, names):
    """{case name: file name} for a chapter's cases: <notebook>-<NN>-<slug>.ipynb, unique."""
    stem = source_notebooks(chapter)[0].stem
    return {name: f"{stem}-{i:02d}-{slug(name)}.ipynb" for i, name in enumerate(names, 1)}


def write_cases(chapter, outdir):
    """Write a chapter's cases into outdir; returns {case name: path}."""
    outdir = pathlib.Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    built = cases(chapter)
    names = file_names(chapter, built)
    paths = {}
    for name, nb in built.items():
        paths[name] = outdir / names[name]
        nbformat.write(nb, paths[name])
    return paths


def main(argv):
    if len(argv) != 2:
        print("usage: python tests/fairness.py CHAPTER OUTDIR", file=sys.stderr)
        return 2
    chapter, outdir = argv
    try:
        paths = write_cases(chapter, outdir)
    except CaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f"{path}\t{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
