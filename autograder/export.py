"""Grades as CSV: one row per student and chapter, the scores read from nbgrader's tables
(what `nbgrader export` reports), with our status (graded, error, not submitted) and the reason
for a notebook that could not be graded."""
import csv
import io

COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "error"]


def grades_csv(book):
    status = {}
    for student, chapter, _notebook, result in book.results():
        ok, reason = status.get((student, chapter), ("graded", ""))
        if result["status"] != "graded":
            ok, reason = "error", "; ".join(filter(None, [reason, result["error"]]))
        status[(student, chapter)] = (ok, reason)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for student, chapter, score, max_score in book.scores():
        ok, reason = status.get((student, chapter), ("graded", "")) if score is not None else ("not submitted", "")
        writer.writerow([student, chapter, f"{score or 0:g}", f"{max_score:g}", ok, reason])
    return out.getvalue()
