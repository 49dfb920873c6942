"""Chapter notebooks: the SPEC §3 skeleton, a top-to-bottom run with small parameters, and stored
outputs that come from a full run of the current code."""
import os
import shutil

import nbformat
import papermill
import pytest

from conftest import ROOT, chapter_notebooks, serving, solution_notebooks
from course.outputs import stale_reason

pytestmark = pytest.mark.slow

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
def test_gpu_cells_say_which_configuration_ran(path):
    """SPEC §3: a `gpu` cell runs in full on CUDA, scaled down elsewhere, and prints which; the
    text before it says what the full run gives."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if "gpu" not in cell.metadata.get("tags", []):
            continue
        assert 'DEVICE == "cuda"' in cell.source and "nbgrader" not in cell.metadata
        printed = "".join(o.get("text", "") for o in cell.outputs).lower()
        assert "scaled-down" in printed or "full configuration" in printed
        assert "lecture" in nb.cells[index - 1].source.lower()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_outputs_are_fresh(path):
    reason = stale_reason(nbformat.read(path, as_version=4))
    assert reason is None, f"{path.name}: {reason}; run `python -m course execute {path.stem}`"


@pytest.fixture(scope="module")
def data_server():
    """The course data on a local HTTP server, standing in for the canonical addresses."""
    with serving(os.environ["COURSE_DATA_DIR"]) as url:
        yield url


@pytest.mark.parametrize("path", CHAPTERS + solution_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_runs_alone_like_on_colab(path, tmp_path, monkeypatch, data_server):
    """The notebook copied alone into an empty folder, run top to bottom with its small parameters:
    no repository files, and the setup cell fetches the data (from a local server here)."""
    alone = tmp_path / "colab"
    alone.mkdir()
    shutil.copy(path, alone / path.name)
    monkeypatch.delenv("COURSE_DATA_DIR")
    monkeypatch.setenv("COURSE_DATA_BASE_URL", data_server)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    nb = nbformat.read(path, as_version=4)
    parameters = nb.metadata["course"].get("test_parameters", {})
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(alone / path.name), str(out), parameters=parameters, kernel_name="python3",
                               cwd=str(alone), progress_bar=False, execution_timeout=120)
    ran = nbformat.read(out, as_version=4)
    errors = [f"{o.ename}: {o.evalue}" for c in ran.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    uses_data = "course_data(" in "\n".join(c.source for c in nb.cells[4:] if c.cell_type == "code")
    downloaded = list((tmp_path / "cache").glob("zero-to-hero-graded/*.txt"))
    assert bool(downloaded) == uses_data, downloaded
