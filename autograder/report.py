"""What `grade` prints: a table per notebook for people, or one JSON document for tools."""
import json


def as_json(results):
    return json.dumps({"results": results}, indent=2)


def _points(x):
    return f"{x:g}"


def as_table(results):
    lines = []
    for r in results:
        if r["status"] == "error":
            lines += [f"{r['notebook']}: ERROR: {r['error']}", ""]
            continue
        lines.append(f"{r['notebook']} ({r['chapter']}): {_points(r['score'])} / {_points(r['max_score'])}")
        width = max([len(p["id"]) for p in r["parts"]] + [4])
        lines.append(f"  {'part':<{width}}  points   result")
        for p in r["parts"]:
            score = f"{_points(p['score'])}/{_points(p['max_score'])}"
            verdict = "passed" if p["passed"] else "FAILED: " + p["message"]
            lines.append(f"  {p['id']:<{width}}  {score:<7}  {verdict}")
        lines.append("")
    return "\n".join(lines).rstrip("\n")
