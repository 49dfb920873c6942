"""Our grading inside nbgrader's own pipeline, for instructors who run `nbgrader autograde`, or
press "autograde" in the formgrader (JupyterHub), instead of `python -m autograder autograde`.

nbgrader's Autograde converter takes its preprocessors from configuration. `configure` replaces
the two that cannot grade this course (OverwriteCells, which restores test cells from the
gradebook's snapshot and never re-inserts a deleted one; Execute and SaveAutoGrades, which run
student code unsandboxed and score a test cell by whether it printed an error or anything to
stderr) with preprocessors that run the same steps as `grade` (grade.STEPS):

    sanitize:   ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreTestCells, CheckCellMetadata
    autograde:  RunInSandbox (submission and reference, same seed) -> JudgeParts -> SaveGrades
                -> AssignLatePenalties, CheckCellMetadata

SaveGrades writes what `autograde` writes: nbgrader's grades and our result row in one
transaction, and the student's feedback page; the autograded notebook nbgrader keeps shows each
part's verdict and none of our machinery. `python -m autograder nbgrader-config` writes the
class folder's nbgrader_config.py, which calls `configure`.
"""
import copy
import pathlib

import nbformat
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, ClearMarkScheme,
                                    ClearOutput, ClearSolutions, ComputeChecksums, DeduplicateIds, GetGrades,
                                    IncludeHeaderFooter, LockCells, NbGraderPreprocessor, OverwriteKernelspec,
                                    SaveCells)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from traitlets import Float, Unicode

from . import cells, collect, feedback, grade, layout, probes
from .config import nbgrader_config
from .execute import Limits
from .gradebook import ClassGradebook
from .release import stamp_origin
from .restore import restore_test_cells


def _source_path(resources):
    """solutions/<chapter>/<notebook>.ipynb for the assignment and notebook nbgrader is on."""
    chapter, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
    source = layout.source_notebook(chapter, notebook) if chapter in layout.chapters() else None
    if source is None:
        raise ValueError(f"{chapter}/{notebook}.ipynb is not an exercise of this course "
                         f"(its chapters: {', '.join(layout.chapters())})")
    return source


class RestoreTestCells(NbGraderPreprocessor):
    """Every test cell as solutions/ has it, hidden tests included; deleted ones re-inserted."""

    def preprocess(self, nb, resources):
        source = nbformat.read(_source_path(resources), as_version=4)
        return restore_test_cells(nb, source), resources


class StampOrigin(NbGraderPreprocessor):
    """Release's own step: the released notebook says which chapter and notebook it is."""

    def preprocess(self, nb, resources):
        return stamp_origin(nb, _source_path(resources)), resources


class _GradingStep(NbGraderPreprocessor):
    """A step of grade.STEPS on the Grading that travels in resources["autograder"]; after a
    step has failed, the rest do nothing and SaveGrades records the error, as `grade` does."""
    cell_timeout = Float(Limits.cell_timeout, help="time limit for one cell, in seconds").tag(config=True)
    notebook_timeout = Float(Limits.notebook_timeout, help="time limit for a whole notebook").tag(config=True)
    steps = ()

    def grading(self, nb, resources):
        state = resources.setdefault("autograder", {})
        if "grading" not in state:
            source_path = _source_path(resources)
            g = grade.Grading(pathlib.Path(resources["nbgrader"]["notebook"] + ".ipynb"),
                              Limits(self.cell_timeout, self.notebook_timeout), probes.fresh_seed(),
                              source_path=source_path)
            g.submission = nb
            grade.identify(g)
            g.restored = nb  # RestoreTestCells did it in the sanitize phase
            state["grading"], state["result"] = g, None
        return state

    def preprocess(self, nb, resources):
        state = self.grading(nb, resources)
        if state["result"] is None:
            state["result"] = grade.perform(state["grading"], self.steps)
        return nb, resources


class RunInSandbox(_GradingStep):
    """The submission and the reference solution, at once, each in its sandboxed kernel."""
    steps = (grade.run,)


class JudgeParts(_GradingStep):
    """The probe outputs judged here against the reference's, as `grade` judges them."""
    steps = (grade.judge,)


class SaveGrades(_GradingStep):
    """What `python -m autograder autograde` records, for this student's notebook: the grades
    and our result row (one transaction), the feedback page; and the autograded notebook."""
    course = Unicode(help="the class folder (submitted/, feedback/, gradebook.db)").tag(config=True)

    def preprocess(self, nb, resources):
        state = self.grading(nb, resources)
        g, result = state["grading"], state["result"] or grade.graded_result(state["grading"])
        info = resources["nbgrader"]
        course = pathlib.Path(self.course)
        submitted = course / "submitted" / info["student"] / info["assignment"] / f"{info['notebook']}.ipynb"
        submission = collect.Submission(info["student"], info["assignment"], info["notebook"], submitted)
        result["notebook"] = str(submitted.relative_to(course))
        with ClassGradebook(info["db_url"]) as book:
            book.record(submission, collect.sha256(submitted), result)
        feedback.write(course, info["student"], info["assignment"], info["notebook"], result)
        return _shown_to_graders(g.executed if result["status"] == "graded" else nb, result), resources


def _shown_to_graders(nb, result):
    """The notebook nbgrader keeps in autograded/ (and renders as feedback): the collector cell
    and each test cell's collection call removed, each part's verdict as the test cell's last
    output, so that nbgrader's own score for the cell agrees with ours."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.metadata.get("autograder", {}).get("added") != "collector"]
    verdicts = {p["id"]: p for p in result["parts"]}
    for cell in nb.cells:
        if not cells.is_test(cell):
            continue
        cell.source = "\n".join(line for line in cell.source.split("\n")
                                if not line.startswith("_autograder_collect(")).rstrip("\n")
        cell.outputs = [o for o in cell.get("outputs", []) if probes.MIME not in o.get("data", {})
                        and not (o.output_type == "stream" and o.name == "stderr") and o.output_type != "error"]
        part = verdicts.get(cells.grade_id(cell))
        if part is None or not part["passed"]:
            why = part["message"] if part else result["error"]
            cell.outputs.append(nbformat.v4.new_output("error", ename="Failed", evalue=why, traceback=[f"Failed: {why}"]))
    return nb


class HideTests(ClearHiddenTests):
    """nbgrader's feedback pages show the autograded notebook: without its hidden tests."""
    enforce_metadata = False


SANITIZE = [ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreTestCells, CheckCellMetadata]
AUTOGRADE = [RunInSandbox, JudgeParts, SaveGrades, AssignLatePenalties, CheckCellMetadata]
GENERATE_ASSIGNMENT = [IncludeHeaderFooter, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
                       SaveCells, ClearHiddenTests, ClearMarkScheme, ComputeChecksums, StampOrigin, CheckCellMetadata]
GENERATE_FEEDBACK = [GetGrades, HideTests, CSSHTMLHeaderPreprocessor]


def configure(c, course, db_url=None, limits=Limits()):
    """Set nbgrader's configuration c so that its commands grade this course with our pipeline."""
    c.merge(nbgrader_config())
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.source_directory = str(layout.SOLUTIONS)  # generate_assignment reads solutions/
    if db_url:
        c.CourseDirectory.db_url = db_url
    c.Autograde.sanitize_preprocessors = SANITIZE
    c.Autograde.autograde_preprocessors = AUTOGRADE
    c.GenerateAssignment.preprocessors = GENERATE_ASSIGNMENT
    c.GenerateFeedback.preprocessors = GENERATE_FEEDBACK
    c.SaveGrades.course = str(course)
    for step in ("RunInSandbox", "JudgeParts", "SaveGrades"):
        c[step].cell_timeout = limits.cell_timeout
        c[step].notebook_timeout = limits.notebook_timeout
    return c


CONFIG_FILE = '''\
# Written by `python -m autograder nbgrader-config`: nbgrader's own commands (generate_assignment,
# autograde, generate_feedback, export, and the formgrader in JupyterHub) grade this class with
# the course's autograder: its sandbox, its probes and judges, its limits. Write it again rather
# than editing it (see the course's grading page).
import os
import sys

sys.path.insert(0, {root!r})
from autograder import nbgrader_steps  # noqa: E402
from autograder.execute import Limits  # noqa: E402

c = get_config()  # noqa: F821 (nbgrader defines it)
nbgrader_steps.configure(c, {course!r}, db_url=os.environ.get("AUTOGRADER_DB_URL", {db_url!r}),
                         limits=Limits({cell_timeout!r}, {notebook_timeout!r}))
'''


def config_file(course, db_url=None, limits=Limits()):
    return CONFIG_FILE.format(root=str(layout.ROOT), course=str(course), db_url=db_url,
                              cell_timeout=limits.cell_timeout, notebook_timeout=limits.notebook_timeout)
