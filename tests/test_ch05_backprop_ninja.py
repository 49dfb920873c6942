"""Chapter 5: the numbers the text claims are the ones its stored (full) run printed."""
import re

import nbformat
import pytest

from conftest import ROOT

CHAPTER = ROOT / "book" / "05_backprop_ninja.ipynb"
ROW = re.compile(r"^\s*(\w+)\s+\(.*\)\s+(True|False)\s+(True|False)\s+(True|False)\s+(\S+)$")


@pytest.fixture(scope="module")
def printed():
    nb = nbformat.read(CHAPTER, as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                     if o.get("output_type") == "stream")


def test_parameter_counts(printed):
    assert "in all: 4,137 parameters" in printed
    assert "12,297 parameters, 200,000 steps per run" in printed


def test_every_hand_made_gradient_matches_autograd(printed):
    rows = [ROW.match(line) for line in printed.splitlines()]
    rows = [m for m in rows if m]
    names = {m.group(1) for m in rows}
    assert {"logp", "row_max", "z1", "C", "W1", "gamma"} <= names
    wrong = [m.group(0) for m in rows if m.group(2) != "True" or m.group(4) != "True"]
    assert not wrong, wrong


def test_losses_close_to_the_lecture(printed):
    manual = re.search(r"^\s*manual\s+([\d.]+)\s+([\d.]+)\s", printed, re.M)
    autograd = re.search(r"^\s*autograd\s+([\d.]+)\s+([\d.]+)\s", printed, re.M)
    assert manual and autograd
    train, dev = float(manual.group(1)), float(manual.group(2))
    assert abs(train - 2.0705) <= 0.02 and abs(dev - 2.1099) <= 0.02, (train, dev)
    assert abs(float(autograd.group(1)) - train) <= 0.01 and abs(float(autograd.group(2)) - dev) <= 0.01
