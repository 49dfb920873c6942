"""The cells every notebook shares, stamped from one source each: the setup cell (setup_cell.py)
and the Colab badge (from _config.yml's repository, the one source of every Colab link)."""
import pathlib

import yaml

from autograder import cells
from autograder.layout import ROOT
SETUP_CELL = (pathlib.Path(__file__).parent / "setup_cell.py").read_text().rstrip("\n")
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
SETUP_TAGS = ["setup", "hide-input"]  # the book shows the setup cell folded: it is the same everywhere
# The last lines of every hidden-test block. Plain `nbgrader autograde` (without the class's
# generated nbgrader_config.py) would run the block, call nothing in it, and award a part its
# points as soon as its visible asserts pass; this fails the part instead, saying how to grade.
# Our own pipeline never meets it: its kernels have no NBGRADER_EXECUTION in their environment,
# and the grader loads judges under another __name__.
NBGRADER_GUARD = """\
if __name__ == "__main__" and __import__("os").environ.get("NBGRADER_EXECUTION") == "autograde":
    raise RuntimeError("this course's hidden tests are judged by its own autograder, not by plain nbgrader: run "
                       "`python -m autograder nbgrader-config` in the class folder (see the course's grading page)")"""


def chapter_notebooks():
    """The chapters, book/NN_slug.ipynb, in order."""
    return sorted(ROOT.glob("book/[0-9][0-9]_*.ipynb"))


def course_notebooks():
    """Every notebook that carries the shared cells: chapters and exercise sources."""
    return chapter_notebooks() + sorted(ROOT.glob("solutions/*/*.ipynb"))


def colab_url(repo_path):
    """The Colab address of a file of the repository, e.g. book/01_micrograd.ipynb."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = config["repository"]
    owner_name = repository["url"].removeprefix("https://github.com/").strip("/")
    prefix = repository.get("path_to_book", "").strip("/")
    path = f"{prefix}/{repo_path}" if prefix else repo_path
    return f"{config['launch_buttons']['colab_url']}/github/{owner_name}/blob/{repository['branch']}/{path}"


def published_path(notebook):
    """Where students open a notebook: exercise sources are published from exercises/."""
    rel = notebook.resolve().relative_to(ROOT)
    if rel.parts[0] == "solutions":
        rel = pathlib.Path("exercises", *rel.parts[1:])
    return rel.as_posix()


def badge(notebook):
    return f"[![Open in Colab]({BADGE_IMAGE})]({colab_url(published_path(notebook))})"


def tagged(nb, tag):
    return [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]


def problems(nb, path):
    """What is wrong with a notebook's shared cells, as sentences (empty when all is well)."""
    found = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or "setup" not in code[0].metadata.get("tags", []):
        found.append(f"{path}: the first code cell must be the setup cell (tag 'setup')")
    elif code[0].source != SETUP_CELL:
        found.append(f"{path}: the setup cell differs from course/setup_cell.py")
    elif not set(SETUP_TAGS) <= set(code[0].metadata.get("tags", [])):
        found.append(f"{path}: the setup cell needs the tags {SETUP_TAGS}")
    badges = tagged(nb, "colab-badge")
    if len(badges) != 1:
        found.append(f"{path}: needs exactly one markdown cell tagged 'colab-badge'")
    elif badges[0].source != badge(path):
        found.append(f"{path}: the Colab badge is not the one _config.yml gives")
    unguarded = [cells.grade_id(c) for c in nb.cells if cells.is_grade_cell(c) and _guarded(c.source) != c.source]
    if unguarded:
        found.append(f"{path}: the hidden tests of {', '.join(unguarded)} do not end with the plain-nbgrader guard")
    return found


def _guarded(source):
    """A test cell's source with NBGRADER_GUARD as the last lines of its hidden block."""
    end = f"### {cells.END_HIDDEN}"
    if end not in source:
        return source
    before, after = source.rsplit(end, 1)
    before = before.rstrip("\n")
    if before.endswith(NBGRADER_GUARD):
        before = before[:-len(NBGRADER_GUARD)].rstrip("\n")
    return f"{before}\n{NBGRADER_GUARD}\n{end}{after}"


def stamp(nb, path):
    """Write the shared cells into nb (in place); True when anything changed."""
    changed = False
    for cell in tagged(nb, "setup"):
        if cell.source != SETUP_CELL:
            cell.source, changed = SETUP_CELL, True
        tags = cell.metadata["tags"]
        if not set(SETUP_TAGS) <= set(tags):
            cell.metadata["tags"], changed = tags + [t for t in SETUP_TAGS if t not in tags], True
    for cell in tagged(nb, "colab-badge"):
        if cell.source != badge(path):
            cell.source, changed = badge(path), True
    for cell in nb.cells:
        if cells.is_grade_cell(cell) and _guarded(cell.source) != cell.source:
            cell.source, changed = _guarded(cell.source), True
    return changed
