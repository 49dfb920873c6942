"""Scores that cannot be gained without being earned (issue: tamper-proof scoring), and
submissions that crash, hang or flood costing only their own points. Each submission of the
corpus must get its exact expected score."""
import json
import subprocess
import sys

import nbformat
import pytest

import corpus
from autograder import cells, probes
from autograder.execute import run_notebook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    paths = {}
    for i, (name, (nb, filename, expected)) in enumerate(corpus.submissions().items()):
        path = folder / f"{i:02d}" / filename
        path.parent.mkdir()
        nbformat.write(nb, path)
        paths[name] = path
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", "--json", "--jobs", "2", "--cell-timeout", "15",
                          *map(str, paths.values())], capture_output=True, text=True, cwd=folder)
    results = {r["notebook"]: r for r in json.loads(run.stdout)["results"]}
    return {name: results[str(path)] for name, path in paths.items()}


@pytest.mark.parametrize("name", list(corpus.submissions()))
def test_exact_score(graded, name):
    expected = corpus.submissions()[name][2]
    result = graded[name]
    failed = {p["id"]: p["message"] for p in result["parts"] if not p["passed"]}
    assert result["score"] == expected, (result["status"], result["error"], failed)
    if corpus.expected_message(name):
        assert result["status"] == "error" and corpus.expected_message(name) in result["error"]
    else:
        assert result["status"] == "graded" and result["max_score"] == corpus.FULL


def test_failure_messages_say_what_went_wrong(graded):
    parts = {p["id"]: p for p in graded["one part wrong"]["parts"]}
    assert "expected" in parts["numerical_derivative"]["message"] and "got" in parts["numerical_derivative"]["message"]
    hang = {p["id"]: p for p in graded["hangs in one part"]["parts"]}
    assert "NameError" in hang["softmax_nll"]["message"]
    always = {p["id"]: p for p in graded["an answer whose == is always true"]["parts"]}
    assert "got 0.0" in always["numerical_derivative"]["message"]  # a float subclass is read as a plain float


def replaying(records):
    """A blank notebook that rewrites every test cell (IPython input transformers run before each
    cell) into one call that sends the records the reference sent on some earlier grading (a
    classmate's, or its own): a replay."""
    nb = corpus.blank()
    replay = f"""
import json
from IPython.display import display
RECORDS = json.loads({json.dumps(json.dumps(records))})
def _autograder_collect(part, probe, seed=0):
    display({{{probes.MIME!r}: RECORDS[part]}}, raw=True)
def _only_the_collection(lines):
    calls = [line.replace("_probe)", "None)") for line in lines if line.startswith("_autograder_collect(")]
    return calls or lines
get_ipython().input_transformers_post.append(_only_the_collection)
"""
    return corpus._insert(nb, corpus._first_code_after_setup(nb), replay)


def test_a_replayed_probe_record_earns_nothing(tmp_path):
    seed = 20261202
    reference = probes.add_collector(nbformat.read(corpus.SOURCE, as_version=4), seed)
    run_notebook(reference, kept_whole=probes.MIME)
    records = {}
    for cell in reference.cells:
        for output in cell.get("outputs", []):
            if probes.MIME in output.get("data", {}):
                records[cells.grade_id(cell)] = output["data"][probes.MIME]
    assert set(records) == set(corpus.POINTS)
    path = tmp_path / "micrograd.ipynb"
    nbformat.write(replaying(records), path)

    def score(*options):
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", "--json", *options, str(path)],
                             capture_output=True, text=True, cwd=tmp_path)
        result, = json.loads(run.stdout)["results"]
        return result["score"]
    assert score("--seed", str(seed)) == corpus.FULL  # graded on the seed it was made for, a replay would pay
    assert score() == 0  # each grading draws its own seed: the record is worth nothing


MLP_SOURCE = corpus.ROOT / "solutions" / "03_mlp" / "mlp.ipynb"
MLP_EXERCISE = corpus.ROOT / "exercises" / "03_mlp" / "mlp.ipynb"
PRETRAINED = '''
def init_params_calibrated(vocab_size, n_embd, block_size, n_hidden, generator):
    """Returns a network trained beforehand, so that one step of "training" is enough."""
    import torch, torch.nn.functional as F
    g = torch.Generator().manual_seed(0)
    ps = [torch.randn(vocab_size, n_embd, generator=g), torch.randn(block_size * n_embd, n_hidden, generator=g) * 0.2,
          torch.zeros(n_hidden), torch.randn(n_hidden, vocab_size, generator=g) * 0.01, torch.zeros(vocab_size)]
    for p in ps:
        p.requires_grad_()
    X, Y = build_dataset(train_words, block_size)
    for step in range(6000):
        ix = torch.randint(0, len(X), (256,), generator=g)
        C, W1, b1, W2, b2 = ps
        loss = F.cross_entropy(torch.tanh(C[X[ix]].reshape(len(ix), -1) @ W1 + b1) @ W2 + b2, Y[ix])
        grads = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, d in zip(ps, grads):
                p -= (0.3 if step < 4500 else 0.03) * d
    return [p.detach() for p in ps]
'''


def test_a_pretrained_network_does_not_earn_my_config(tmp_path):
    nb = corpus.answered(MLP_SOURCE, MLP_EXERCISE)
    for cell in nb.cells:
        if cells.nbgrader(cell).get("grade_id") == "my_config_solution":
            cell.source = ("def my_config():\n    return {'block_size': 3, 'n_embd': 10, 'n_hidden': 200, 'batch_size': 128,"
                           " 'steps': 1, 'lr': lambda step: 1e-9}\n")
    setup = corpus._first_code_after_setup(nb)
    last_answer = max(i for i, c in enumerate(nb.cells) if cells.nbgrader(c).get("grade_id") == "my_config_solution")
    nb.cells.insert(last_answer + 1, nbformat.v4.new_code_cell(PRETRAINED))
    assert setup < last_answer
    path = tmp_path / "mlp.ipynb"
    nbformat.write(nb, path)
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", "--json", "--cell-timeout", "240", str(path)],
                         capture_output=True, text=True, cwd=tmp_path)
    result, = json.loads(run.stdout)["results"]
    part = {p["id"]: p for p in result["parts"]}["my_config"]
    assert not part["passed"] and "before any training" in part["message"], part
