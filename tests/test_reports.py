"""What people read: the table `grade` prints, the JSON document, the feedback page and the CSV
(no kernel, no database: a gradebook's answers are given)."""
import csv
import io
import json

from autograder import export, feedback, report

GRADED = {"notebook": "a/mlp.ipynb", "chapter": "03_mlp", "status": "graded", "score": 2.0, "max_score": 5.0,
          "error": None, "parts": [
              {"id": "build_dataset", "score": 2.0, "max_score": 2.0, "passed": True, "message": ""},
              {"id": "train", "score": 0.0, "max_score": 3.0, "passed": False, "message": "dev loss 2.5 > 2.2 <b>"}]}
BROKEN = {"notebook": "b/x.ipynb", "chapter": None, "status": "error", "score": 0.0, "max_score": 0.0,
          "error": "b/x.ipynb is not a Jupyter notebook", "parts": []}


def test_the_table_shows_scores_and_what_failed():
    text = report.as_table([GRADED, BROKEN])
    assert "a/mlp.ipynb (03_mlp): 2 / 5" in text
    assert "build_dataset  2/2      passed" in text and "FAILED: dev loss 2.5 > 2.2" in text
    assert "b/x.ipynb: ERROR: b/x.ipynb is not a Jupyter notebook" in text


def test_the_json_document_is_the_contract():
    assert json.loads(report.as_json([GRADED])) == {"results": [GRADED]}


def test_the_feedback_page_escapes_messages_and_shows_no_test_code(tmp_path):
    page = feedback.write(tmp_path, "ada", "03_mlp", "mlp", GRADED).read_text()
    assert (tmp_path / "feedback" / "ada" / "03_mlp" / "mlp.html").is_file()
    assert "Score: 2 / 5" in page and "dev loss 2.5 &gt; 2.2 &lt;b&gt;" in page and "<b>" not in page
    assert "_probe" not in page and "BEGIN HIDDEN" not in page
    assert "Not graded: 0 points" in feedback.render("bob", "03_mlp", "x", BROKEN)


class FakeGradebook:
    def results(self):
        return [("ada", "03_mlp", "mlp", GRADED), ("bob", "03_mlp", "mlp", BROKEN)]

    def scores(self):
        return [("ada", "03_mlp", 2.0, 5.0), ("bob", "03_mlp", 0.0, 5.0), ("cy", "03_mlp", None, 5.0)]


def test_the_csv_has_a_row_per_student_and_chapter_with_its_status():
    rows = list(csv.DictReader(io.StringIO(export.grades_csv(FakeGradebook()))))
    assert [(r["student_id"], r["score"], r["max_score"], r["status"]) for r in rows] == [
        ("ada", "2", "5", "graded"), ("bob", "0", "5", "error"), ("cy", "0", "5", "not submitted")]
    assert rows[1]["error"] == "b/x.ipynb is not a Jupyter notebook"
