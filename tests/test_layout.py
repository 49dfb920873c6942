"""Reading a submitted file and telling which chapter it belongs to (no kernel)."""
import nbformat
import pytest

from autograder import layout


def notebook(**course):
    nb = nbformat.v4.new_notebook()
    if course:
        nb.metadata["course"] = course
    return nb


def test_the_metadata_release_writes_names_the_chapter():
    chapter, source = layout.identify(notebook(chapter="02_bigram", notebook="bigram"), "whatever.ipynb")
    assert chapter == "02_bigram" and source == layout.SOLUTIONS / "02_bigram" / "bigram.ipynb"


@pytest.mark.parametrize("name, chapter", [("micrograd.ipynb", "01_micrograd"), ("01_micrograd.ipynb", "01_micrograd"),
                                           ("Bigram (1).ipynb", "02_bigram"), ("my_gpt_final.ipynb", "07_gpt")])
def test_without_metadata_the_file_name_names_the_chapter(name, chapter):
    assert layout.identify(notebook(), name)[0] == chapter


def test_an_unknown_notebook_is_a_clear_error():
    with pytest.raises(layout.UnknownChapter, match="cannot tell which chapter homework.ipynb belongs to"):
        layout.identify(notebook(chapter="99_nothing"), "homework.ipynb")


def test_every_chapter_has_its_exercises():
    assert layout.chapters()[:3] == ["01_micrograd", "02_bigram", "03_mlp"]
    for chapter in layout.chapters():
        for source in layout.source_notebooks(chapter):
            assert layout.released_path(source).is_file()


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"), ("not json", "is not a Jupyter notebook"), ('{"cells": 3}', "is not a Jupyter notebook"),
    (b"\xff\xfe", "cannot read"),
])
def test_unreadable_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "x.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(layout.SubmissionError, match=message):
        layout.read_submission(path)
    with pytest.raises(layout.SubmissionError, match="is a folder"):
        layout.read_submission(tmp_path)
