"""Chapter 6: the numbers its text and issue 13 claim, read from the stored outputs of its full run."""
import re

import pytest

from conftest import printed_outputs

from conftest import ROOT

PATH = ROOT / "book" / "06_wavenet.ipynb"
STAGES = {"baseline": 12_097, "context 8": 22_097, "hierarchical": 22_397, "bug fixed": 22_397, "scaled up": 76_579}


@pytest.fixture(scope="module")
def printed():
    return printed_outputs(PATH)


def test_the_data_sets_for_block_size_8(printed):
    assert "block size 8: train X (182625, 8), dev X (22655, 8), test X (22866, 8)" in printed


def test_every_layer_agrees_with_torch_nn(printed):
    diffs = re.findall(r"largest difference from torch.nn: ([\d.e+-]+)", printed)
    assert len(diffs) >= 10 and all(float(d) < 1e-5 for d in diffs)


def test_every_stage_ran_200000_steps_with_its_parameter_count(printed):
    for stage, params in STAGES.items():
        assert re.search(rf"^{stage}: {params:,} parameters, 200,000 steps in \d+ s", printed, re.M), stage


def test_the_batchnorm_bug_and_its_fix(printed):
    assert "running mean of shape (4, 68)" in printed and "running mean of shape (2, 68)" in printed
    assert re.search(r"3-D input \(32, 4, 68\): largest difference from nn.BatchNorm1d [\d.e+-]+; running mean of shape \(68,\)",
                     printed)


def test_the_scaled_up_model_reaches_1_99(printed):
    train, dev = map(float, re.search(r"^scaled up: 76,579 parameters, .* train ([\d.]+), dev ([\d.]+)", printed, re.M).groups())
    assert dev <= 1.99 and train < dev


def test_the_convolutions_give_the_same_outputs(printed):
    worst = float(re.search(r"largest difference between the three: ([\d.e+-]+)", printed).group(1))
    assert worst < 1e-4
