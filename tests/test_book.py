"""The built HTML book: every page there, no solution or hidden test anywhere in it."""
import html
import re

import nbformat
import pytest

from conftest import chapter_notebooks, solution_notebooks
from course.stamps import colab_url
from test_release import public_lines, secret_lines

pytestmark = pytest.mark.slow

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def site_text(site):
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".ipynb", ".txt", ".md", ".js", ".json", ".py"):
            yield path, path.read_text(errors="replace")


def shown_lines(path, text):
    """The lines a reader sees: cell sources of a notebook, or an HTML page without its tags."""
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
    elif path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return {line.strip() for line in text.splitlines()}


def test_pages_are_built(built_book):
    for page in ["index.html", "book/intro.html", "book/setup.html", "book/grading.html", "book/glossary.html"]:
        assert (built_book / page).is_file(), page
    for chapter in chapter_notebooks():
        assert (built_book / "book" / f"{chapter.stem}.html").is_file()
    for source in solution_notebooks():
        assert (built_book / "exercises" / source.parent.name / f"{source.stem}.html").is_file()


def test_no_solution_or_hidden_test_is_published(built_book):
    assert not [p for p in built_book.rglob("*") if "solutions" in p.relative_to(built_book).parts]
    # A line that any source shows outside its secrets, or that a chapter teaches, is public
    # (`for p in model.parameters():` can be a hidden test's line and a chapter's too).
    public = set().union(*(public_lines(s) for s in solution_notebooks()))
    public |= {line.strip() for c in chapter_notebooks() for cell in nbformat.read(c, as_version=4).cells
               for line in cell.source.splitlines()}
    hidden = set().union(*(secret_lines(s, ["HIDDEN TESTS"]) for s in solution_notebooks())) - public
    solutions = set().union(*(secret_lines(s, ["SOLUTION"]) for s in solution_notebooks())) - public
    assert hidden and solutions
    for path, text in site_text(built_book):
        for marker in MARKERS:
            assert marker not in text, f"{path} contains {marker!r}"
        shown = shown_lines(path, text)
        # A chapter teaches what its exercises then ask for, so its pages may share solution lines.
        is_chapter = path.stem.startswith(tuple(c.stem for c in chapter_notebooks()))
        leaked = (hidden | (set() if is_chapter else solutions)) & shown
        assert not leaked, f"{path} contains solution or hidden-test code: {sorted(leaked)[:2]}"


def test_every_notebook_page_has_its_colab_button(built_book):
    pages = [(f"book/{c.stem}.html", f"book/{c.name}") for c in chapter_notebooks()]
    pages += [(f"exercises/{s.parent.name}/{s.stem}.html", f"exercises/{s.parent.name}/{s.name}")
              for s in solution_notebooks()]
    for page, notebook in pages:
        assert f'href="{colab_url(notebook)}"' in (built_book / page).read_text(), page


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_exercise_pages_are_shown_without_outputs(built_book, source):
    html = (built_book / "exercises" / source.parent.name / f"{source.stem}.html").read_text()
    assert "NotImplementedError" in html and 'class="cell_output' not in html


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_chapter_pages_show_stored_outputs_and_link_the_glossary(built_book, path):
    html = (built_book / "book" / f"{path.stem}.html").read_text()
    nb = nbformat.read(path, as_version=4)
    assert html.count('class="cell_output') >= sum(1 for c in nb.cells if c.cell_type == "code" and c.outputs) // 2
    assert 'href="glossary.html#term-' in html
    assert "<img" in html and "application/vnd.jupyter.widget-state+json" in html
