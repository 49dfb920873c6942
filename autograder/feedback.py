"""Per-student feedback: one HTML page per graded notebook, in nbgrader's place for it

    feedback/<student>/<chapter>/<notebook>.html

It shows each part's points and, for a failed part, the message a student can act on (the
assertion's text, the error, or how the outputs differed from the reference's). It never shows
test code: hidden tests are only ever named by their part.
"""
import html
import pathlib

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.passed { color: #17692f; } .failed { color: #a4161a; } .score { font-size: 1.4rem; }
td.message { font-family: ui-monospace, monospace; font-size: .85rem; white-space: pre-wrap; }
"""


def _points(x):
    return f"{x:g}"


def render(student, chapter, notebook, result):
    e = html.escape
    title = f"{chapter} / {notebook}.ipynb: feedback for {student}"
    lines = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{e(title)}</h1>"]
    if result["status"] != "graded":
        lines += ['<p class="score failed">Not graded: 0 points</p>', f"<p>{e(result['error'] or '')}</p>"]
    else:
        lines.append(f'<p class="score">Score: {_points(result["score"])} / {_points(result["max_score"])}</p>')
        lines += ["<table>", "<tr><th>part</th><th>points</th><th>result</th><th>what to look at</th></tr>"]
        for part in result["parts"]:
            verdict = '<span class="passed">passed</span>' if part["passed"] else '<span class="failed">failed</span>'
            lines.append(f"<tr><td>{e(part['id'])}</td><td>{_points(part['score'])} / {_points(part['max_score'])}</td>"
                         f"<td>{verdict}</td><td class=\"message\">{e(part['message'])}</td></tr>")
        lines.append("</table>")
        lines.append("<p>Each part was checked by its visible tests and by hidden tests on fresh random inputs, "
                     "compared with the reference solution. Run the visible tests in your notebook, then "
                     "<code>python -m autograder grade</code> on it, to check a fix.</p>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


def write(course, student, chapter, notebook, result):
    path = pathlib.Path(course) / "feedback" / student / chapter / f"{notebook}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(student, chapter, notebook, result))
    return path
