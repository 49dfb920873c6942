"""Chapter notebooks: the SPEC §3 skeleton, a top-to-bottom run with small parameters, and stored
outputs that come from a full run of the current code."""
import nbformat
import papermill
import pytest

from conftest import ROOT, chapter_notebooks
from course.outputs import stale_reason

CHAPTERS = chapter_notebooks()


def parameters_cell(nb):
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "a chapter has exactly one cell tagged 'parameters'"
    return tagged[0]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "## What you will learn" in markdown and "## Summary" in markdown
    assert "colab-badge" in nb.cells[2].metadata.get("tags", []) or any(
        "colab-badge" in c.metadata.get("tags", []) for c in nb.cells[:4])
    assert f"../exercises/{path.stem}/" in nb.cells[-1].source, "the last cell links the chapter's exercises"
    assert "ipywidgets" in "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    names = set(nb.metadata["course"]["test_parameters"])
    assert names and all(name in parameters_cell(nb).source for name in names)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_outputs_are_fresh(path):
    reason = stale_reason(nbformat.read(path, as_version=4))
    assert reason is None, f"{path.name}: {reason}; run `python -m course execute {path.stem}`"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_with_small_parameters(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), parameters=nb.metadata["course"]["test_parameters"],
                               kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
                               execution_timeout=120)
    ran = nbformat.read(out, as_version=4)
    errors = [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
