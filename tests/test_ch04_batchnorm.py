"""Chapter 4: the numbers its text and issue 11 claim, read from the stored outputs of its full run."""
import re

import pytest

from conftest import printed_outputs

from conftest import ROOT

PATH = ROOT / "book" / "04_batchnorm.ipynb"
LECTURE_VAL = {"original": 2.1682, "softmax fix": 2.13, "tanh fix": 2.1027, "Kaiming init": 2.1070,
               "batch norm": 2.1048}


@pytest.fixture(scope="module")
def printed():
    return printed_outputs(PATH)


def test_the_split_and_the_sizes(printed):
    assert "182,625 training / 22,655 validation / 22,866 test" in printed
    assert "12,097 parameters" in printed and "47,024 parameters" in printed
    assert "-ln(1/27) = 3.2958" in printed
    assert "(5/3) / sqrt(30) = 0.3043" in printed


def test_the_first_losses(printed):
    first = float(re.search(r"original: 11,897 parameters, .*first minibatch loss ([\d.]+)", printed).group(1))
    fixed = float(re.search(r"softmax fix: .*first minibatch loss ([\d.]+)", printed).group(1))
    assert 25 < first < 31 and abs(fixed - 3.32) < 0.05


def test_saturation(printed):
    plain = float(re.search(r"activations with \|h\| > 0.99: ([\d.]+)%", printed).group(1))
    scaled = float(re.search(r"W1 x 0.2, b1 x 0.01: .*\|h\| > 0.99: ([\d.]+)%", printed).group(1))
    assert 50 < plain < 70 and scaled < 3


def test_results_table_matches_the_lecture(printed):
    """Every row trained for 200,000 steps ends within 0.02 of the lecture's validation loss."""
    assert "200,000 steps" in printed, "the stored outputs come from a run with the full parameters"
    for name, lecture in LECTURE_VAL.items():
        row = re.search(rf"^{re.escape(name)}\s+[\d,]+\s+([\d.]+)\s+([\d.]+)\s", printed, re.M)
        assert row, f"no row {name!r} in the results table"
        assert abs(float(row.group(2)) - lecture) <= 0.02, f"{name}: val {row.group(2)}, lecture {lecture}"
    deep = re.search(r"^deep network, batch norm\s+47,024\s+([\d.]+)\s+([\d.]+)", printed, re.M)
    assert deep and float(deep.group(2)) < 2.2
