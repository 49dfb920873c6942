"""Chapter 8 (the tokenizer): what notebooks may import, no network in tests, and the numbers the
chapter must print from its full run."""
import ast
import math
import re
import sys

import nbformat
import pytest

from conftest import ROOT, chapter_notebooks, exercise_notebooks, solution_notebooks

# SPEC §3: the standard library and these; Chapter 8 adds regex and tiktoken, for itself only.
ALLOWED = {"torch", "numpy", "matplotlib", "ipywidgets", "tqdm"}
CHAPTER_8_ONLY = {"regex", "tiktoken"}
NOTEBOOKS = chapter_notebooks() + solution_notebooks() + exercise_notebooks()
CHAPTER = ROOT / "book" / "08_tokenizer.ipynb"


def chapter_of(path):
    return path.stem if path.parent.name == "book" else path.parent.name


def imported_modules(nb):
    """The top-level names of every module the code cells import (shell and magic lines skipped)."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_import_only_allowed_modules(path):
    allowed = ALLOWED | (CHAPTER_8_ONLY if chapter_of(path) == "08_tokenizer" else set())
    extra = sorted(m for m in imported_modules(nbformat.read(path, as_version=4))
                   if m not in sys.stdlib_module_names and m not in allowed)
    assert not extra, f"{path.name} imports {extra}: SPEC §3 allows the standard library and {sorted(allowed)}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if chapter_of(p) == "08_tokenizer"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_tokenizer_notebooks_never_download_an_encoding_in_tests(path):
    """tiktoken fetches its own encodings from the internet: only the chapter's GPT-4 cell may ask for
    one, behind SHOW_GPT4 (False in the test parameters) and a check that the network is there."""
    nb = nbformat.read(path, as_version=4)
    asking = [c.source for c in nb.cells if c.cell_type == "code" and
              any(name in c.source for name in ("get_encoding(", "encoding_for_model("))]
    if path.parent.name != "book":
        assert not asking, f"{path.name} asks tiktoken for a downloaded encoding"
        return
    assert len(asking) == 1 and "SHOW_GPT4" in asking[0] and "reachable()" in asking[0]
    assert nb.metadata["course"]["test_parameters"]["SHOW_GPT4"] is False
    missing = [c.source for c in nb.cells if c.cell_type == "code" and "import tiktoken" in c.source]
    assert missing and all("pip install" in s for s in missing), "a missing regex/tiktoken says how to install it"


def stored_text(nb):
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_tokenizer_chapter_prints_its_results():
    """The full run's outputs hold the claims of the issue: the round trip, tiktoken's identical ids,
    and the two GPTs compared in bits per character."""
    text = stored_text(nbformat.read(CHAPTER, as_version=4))
    for line in ["round trip exact: True", "identical token ids: True", "tiktoken decodes our ids back to the text: True",
                 "same ids on the validation text: True", "same merges, special tokens and ids after loading: True",
                 "1,115,394 characters", "bytes above 127 in tiny Shakespeare: 0"]:
        assert line in text, f"the stored outputs of 08_tokenizer lack {line!r}"
    assert "characters" in text and "bits per character" in text and "BPE, 512 ids" in text
    assert "GPT-4's tokenizer:" in text or "cl100k_base:" in text


def test_tokenizer_chapter_prose_matches_its_printed_shares():
    """The prose's share of the multilingual page in the first tokenizer's text and the conversion of the
    character model's bits to nats are the ones the outputs print, and the nats are not called Chapter 7's."""
    nb = nbformat.read(CHAPTER, as_version=4)
    text = stored_text(nb)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    share = re.search(r"our page, \d+ copies of [\d,]+ bytes, is ([\d.]+)% of them", text)
    assert share, "the stored outputs lack the page's share of the first tokenizer's bytes"
    assert float(share.group(1)) < 5 and "Our page is under 5% of the bytes" in prose
    result = re.search(r"characters ([\d.]+), BPE [\d.]+ bits per character \(the character model's ([\d.]+) nats", text)
    assert result, "the stored outputs lack the character model's loss in nats"
    assert abs(float(result.group(1)) * math.log(2) - float(result.group(2))) < 1e-3
    assert "Chapter 7's loss in nats" not in text
