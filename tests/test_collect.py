"""Collecting a class's submissions from hostile folders and zips (no kernel runs: fast)."""
import os
import shutil
import zipfile

import pytest

from autograder import cli, collect
from conftest import ROOT

SOURCE = ROOT / "solutions" / "01_micrograd" / "micrograd.ipynb"
EXERCISE = ROOT / "exercises" / "01_micrograd" / "micrograd.ipynb"


def lines_of(result):
    return {text.split(":")[0]: (text, ok) for text, ok in result}


def test_links_are_not_followed_and_hidden_folders_are_reported(tmp_path):
    submissions, course = tmp_path / "submissions", tmp_path / "class"
    (submissions / "alice").mkdir(parents=True)
    shutil.copy(EXERCISE, submissions / "alice" / "micrograd.ipynb")
    (submissions / "mallory").mkdir()
    os.symlink(SOURCE, submissions / "mallory" / "micrograd.ipynb")  # the reference solution, by a link
    (submissions / "mallory" / ".secret").mkdir()
    shutil.copy(EXERCISE, submissions / "mallory" / ".secret" / "micrograd.ipynb")
    os.symlink(SOURCE.parent, submissions / "trudy")  # a student folder that is a link
    (submissions / ".hidden-student").mkdir()
    shutil.copy(EXERCISE, submissions / ".hidden-student" / "micrograd.ipynb")
    found = lines_of(collect.collect(submissions, course))
    assert found["alice/micrograd.ipynb"][1] is True
    assert "a link, not a notebook" in found["mallory/micrograd.ipynb"][0] and not found["mallory/micrograd.ipynb"][1]
    assert "in a hidden folder (.secret)" in found["mallory/.secret/micrograd.ipynb"][0]
    assert "a link to a folder" in found["trudy"][0]
    assert "a hidden folder" in found[".hidden-student"][0]
    collected = sorted(p.relative_to(course).as_posix() for p in course.rglob("*.ipynb"))
    assert collected == ["submitted/alice/01_micrograd/micrograd.ipynb"]
    assert not any(p.is_symlink() for p in course.rglob("*"))


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path, capsys):
    bomb = tmp_path / "submissions.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("submissions/alice/micrograd.ipynb", EXERCISE.read_bytes())
        with z.open("submissions/alice/notes.txt", "w") as f:  # 64 MB of zeros in a few kB
            for _ in range(64):
                f.write(bytes(2**20))
    assert bomb.stat().st_size < 2**20
    assert cli.main(["collect", str(bomb), "--course", str(tmp_path / "class")]) == 2
    err = capsys.readouterr().err
    assert "compressed" in err and "as zip bombs are: not unpacked" in err
    assert not (tmp_path / "class" / "submitted").exists()


def test_a_zip_too_large_in_all_is_refused(tmp_path, monkeypatch):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for student in ("alice", "bob"):
            z.writestr(f"submissions/{student}/micrograd.ipynb", EXERCISE.read_bytes())
    monkeypatch.setattr(collect, "MAX_ZIP_BYTES", 2 * EXERCISE.stat().st_size - 1)
    with pytest.raises(collect.CollectError, match="expands to .* not unpacked"):
        collect.collect(archive, tmp_path / "class")


def test_a_huge_notebook_is_refused_unread(tmp_path):
    (tmp_path / "submissions" / "alice").mkdir(parents=True)
    with open(tmp_path / "submissions" / "alice" / "micrograd.ipynb", "wb") as f:
        f.truncate(60 * 2**20)
    found = lines_of(collect.collect(tmp_path / "submissions", tmp_path / "class"))
    text, ok = found["alice/micrograd.ipynb"]
    assert not ok and "more than the 50 MB a notebook may be" in text


@pytest.mark.parametrize("command", ["autograde", "export", "feedback"])
def test_a_password_on_the_command_line_is_refused(tmp_path, command, capsys):
    assert cli.main([command, "--course", str(tmp_path), "--db", "postgresql://grader:hunter2@db.example.org/class"]) == 2
    err = capsys.readouterr().err
    assert "--db holds a password" in err and "AUTOGRADER_DB_URL" in err
