"""A corpus of micrograd submissions, each with the exact score it must get (of 23 points):
honest ones (full marks however they are written), noisy ones, partly wrong ones, ones that try
to gain points they did not earn, and ones that crash, hang or flood."""

import nbformat

from autograder import cells
from conftest import ROOT

SOURCE = ROOT / "solutions" / "01_micrograd" / "micrograd.ipynb"
EXERCISE = ROOT / "exercises" / "01_micrograd" / "micrograd.ipynb"
POINTS = {"numerical_derivative": 2, "analytic_gradient": 2, "value_class": 6, "softmax_nll": 4, "mlp": 5, "train": 4}
FULL = sum(POINTS.values())

# Wrong answers that pass the visible tests once comparisons are subverted.
WRONG = {
    "numerical_derivative": "def numerical_derivative(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n",
    "analytic_gradient": "def gradient_f(a, b, c):\n    return [0.0, 0.0, 0.0]\n",
}
# Turns every comparison the tests could make in the kernel into a yes.
SUBVERT = """
import builtins, math, numpy, torch, torch.testing
builtins.abs = lambda x: 0.0
math.isclose = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
"""
SWALLOW = """
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
import sys
sys.excepthook = lambda *a: None
"""
# An object that equals anything and is close to anything.
ALWAYS_EQUAL = """
class Anything(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __sub__(self, other): return Anything(0.0)
    def __rsub__(self, other): return Anything(0.0)
    def __abs__(self): return Anything(0.0)
    __hash__ = float.__hash__

def numerical_derivative(f, x, h=1e-5):
    return Anything(0.0)
"""
FAKE_RECORDS = """
from IPython.display import display
def _autograder_collect(part, probe, seed=0):
    display({"application/vnd.zero-to-hero-graded.probe+json": {"part": part, "data": {"everything": "passes"}}}, raw=True)
def _send_fakes(*args, **kwargs):
    for part in %r:
        display({"application/vnd.zero-to-hero-graded.probe+json": {"part": part, "data": {}}}, raw=True)
get_ipython().events.register("post_run_cell", _send_fakes)
""" % (list(POINTS),)
READ_REFERENCE = f"""
import json, subprocess
def _reference_cells():
    for path in ({str(SOURCE)!r},):
        try:
            nb = json.load(open(path))
        except OSError:
            nb = json.loads(subprocess.run(["git", "-C", {str(ROOT)!r}, "show", "HEAD:solutions/01_micrograd/micrograd.ipynb"],
                                           capture_output=True, text=True).stdout or "{{}}")
        for cell in nb.get("cells", []):
            if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
                yield "".join(cell["source"])
for _source in _reference_cells():
    exec(_source)
"""


# Everything one student could do to the others in a class run, knowing where the class lives:
# the gradebook, the others' submissions and feedback, the neighbouring kernels, the database.
ATTACK_CLASS = """
import glob, json, os, pathlib, sqlite3
course = pathlib.Path(%(gradebook)r).parent
def attempt(what, action):
    try:
        action()
        print("attack worked:", what)
    except Exception as err:
        print("attack failed:", what, type(err).__name__)
def zero_the_gradebook():
    db = sqlite3.connect(str(course / "gradebook.db"))
    db.execute("UPDATE grade SET auto_score = 0")
    db.commit()
attempt("gradebook", zero_the_gradebook)
attempt("the class folder", lambda: os.listdir(course))  # an empty glob below would prove nothing alone
for page in glob.glob(str(course / "feedback" / "*" / "*" / "*.html")):
    attempt(page, lambda: pathlib.Path(page).write_text("<h1>0 points</h1>"))
for other in glob.glob(str(course / "submitted" / "*" / "*" / "*.ipynb")):
    attempt(other, lambda: pathlib.Path(other).write_text("{}"))
def neighbours():
    from ipykernel.connect import get_connection_file
    from jupyter_client import BlockingKernelClient
    own = os.path.realpath(get_connection_file())
    others = {os.path.realpath(p) for p in glob.glob("/tmp/**/*.json", recursive=True)} - {own}
    others = [p for p in others if "kernel" in os.path.basename(p)]
    for path in others:
        client = BlockingKernelClient(connection_file=path)
        client.load_connection_file()
        client.start_channels()
        client.execute("raise SystemExit")
    assert others, "no neighbour found"
attempt("neighbours", neighbours)
attempt("database sockets", lambda: os.listdir("/run/postgresql"))
def reach_the_database():
    import socket
    socket.socket(socket.AF_UNIX).connect(%(database_socket)r)
attempt("the class's database server", reach_the_database)
"""


def answered(source=SOURCE, exercise=EXERCISE):
    """The released notebook with the reference answers written in, as a student would."""
    source, nb = nbformat.read(source, as_version=4), nbformat.read(exercise, as_version=4)
    solved = {cells.grade_id(c): c.source for c in source.cells if cells.nbgrader(c).get("solution")}
    for cell in nb.cells:
        if cells.grade_id(cell) in solved:
            cell.source = solved[cells.grade_id(cell)]
    return nb


def blank():
    return nbformat.read(EXERCISE, as_version=4)


def _answer(nb, part, source):
    for cell in nb.cells:
        if cells.grade_id(cell) == f"{part}_solution":
            cell.source = source
            return nb
    raise KeyError(part)


def _insert(nb, index, source):
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def _first_code_after_setup(nb):
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1


def submissions(gradebook_path="/nonexistent/gradebook.db", database_socket="/run/postgresql/.s.PGSQL.5432"):
    """{name: (notebook, file name, expected score)}. The attacker of the class is told where the class's
    SQLite gradebook and its PostgreSQL server's socket are."""
    out = {}
    out["honest"] = (answered(), "micrograd.ipynb", FULL)
    out["blank"] = (blank(), "micrograd.ipynb", 0)

    nb = answered()  # prints, stderr, warnings, an extra cell, a scratch cell moved up, a new name
    for cell in nb.cells:
        if cells.nbgrader(cell).get("solution"):
            cell.source = "import sys, warnings\nprint('debugging', file=sys.stderr)\nwarnings.warn('careful')\n" + cell.source
    _insert(nb, _first_code_after_setup(nb), "print('scratch work')\nx = [i * i for i in range(10)]")
    nb.cells.append(nbformat.v4.new_code_cell("print('my own experiment'); print(x[-1])"))
    markdown = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    nb.cells.insert(markdown[1], nb.cells.pop(markdown[-1]))
    out["noisy, extra cells, reordered"] = (nb, "micrograd_final_v2 (1).ipynb", FULL)

    nb = answered()
    for cell in nb.cells:
        if cells.is_test(cell):
            cell.source = "pass  # I deleted the tests"
            cell.metadata.nbgrader["points"] = 100
    nb.cells = [c for c in nb.cells if not (cells.is_test(c) and cells.grade_id(c) == "mlp")]
    out["honest, tests edited and deleted, points changed"] = (nb, "micrograd.ipynb", FULL)

    nb = _answer(answered(), "numerical_derivative", WRONG["numerical_derivative"])
    out["one part wrong"] = (nb, "micrograd.ipynb", FULL - POINTS["numerical_derivative"])

    nb = blank()
    for cell in nb.cells:
        if cells.is_test(cell):
            cell.source = "pass"
            cell.metadata.nbgrader["points"] = 100
    out["blank, tests emptied, points raised"] = (nb, "micrograd.ipynb", 0)

    nb = answered()
    for part, source in WRONG.items():
        _answer(nb, part, source)
    _insert(nb, _first_code_after_setup(nb), SUBVERT)
    # The patched abs also misleads value_class's own probe, which draws its graphs with abs:
    # tampering can cost points, never gain them.
    out["wrong answers, comparisons monkeypatched"] = (nb, "micrograd.ipynb", FULL - 4 - POINTS["value_class"])

    nb = _answer(answered(), "numerical_derivative", ALWAYS_EQUAL)
    out["an answer whose == is always true"] = (nb, "micrograd.ipynb", FULL - POINTS["numerical_derivative"])

    nb = answered()
    for part, source in WRONG.items():
        _answer(nb, part, source)
    _insert(nb, _first_code_after_setup(nb), SWALLOW)
    out["wrong answers, exceptions swallowed by IPython hooks"] = (nb, "micrograd.ipynb", FULL - 4)

    nb = answered()
    for part, source in WRONG.items():
        _answer(nb, part, source)
    _insert(nb, _first_code_after_setup(nb), SUBVERT + FAKE_RECORDS)
    out["fake results sent to the grader"] = (nb, "micrograd.ipynb", 0)

    nb = _insert(blank(), _first_code_after_setup(blank()), READ_REFERENCE)
    for cell in nb.cells:  # keep the stubs from overwriting what was read
        if cells.nbgrader(cell).get("solution"):
            cell.source = "pass"
    out["reads the reference solution from disk and history"] = (nb, "micrograd.ipynb", 0)

    nb = _insert(answered(), _first_code_after_setup(answered()), ATTACK_CLASS % {"gradebook": gradebook_path, "database_socket": database_socket})
    nb = _answer(nb, "train", "def train(model, xs, ys, steps, lr):\n    return [0.0] * steps\n")
    out["attacks the class: gradebook, feedback, submissions, neighbours"] = (nb, "micrograd.ipynb", FULL - POINTS["train"])

    nb = _answer(answered(), "mlp", "import os\nos._exit(3)\n")
    out["kills its kernel"] = (nb, "micrograd.ipynb", 0)

    nb = _answer(answered(), "softmax_nll", "while True:\n    pass\n")
    out["hangs in one part"] = (nb, "micrograd.ipynb", FULL - POINTS["softmax_nll"])

    nb = _insert(answered(), _first_code_after_setup(answered()), "hog = bytearray(16 * 2**30)")
    nb = _insert(nb, _first_code_after_setup(nb), "for i in range(200_000):\n    print('flood', i)")
    out["exhausts memory and floods output, answers right"] = (nb, "micrograd.ipynb", FULL)
    return out


def expected_message(name):
    """A fragment the grading report must show for a submission that is not graded."""
    return {"kills its kernel": "kernel died"}.get(name)

