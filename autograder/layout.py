"""Where things are in the course repository, and which chapter a submitted notebook belongs to."""
import json
import pathlib
import re

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
# Where a clone of the project finds the data sets while it is developed and tested (CI sets
# $COURSE_DATA_DIR to it); notebooks themselves look in $COURSE_DATA_DIR, else download.
DEVELOPMENT_DATA = ROOT.parent / "shared" / "data"
CHAPTER_ID = re.compile(r"^\d\d_[a-z_]+$")
MAX_NOTEBOOK_BYTES = 50 * 2**20


class SubmissionError(ValueError):
    """A file that cannot be graded as it is: the message says why and what to do."""


class UnknownChapter(SubmissionError):
    pass


def chapters():
    """Chapter ids that have exercise sources, in order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and CHAPTER_ID.match(p.name))


def source_notebooks(chapter):
    """The nbgrader source notebooks of one chapter."""
    folder = SOLUTIONS / chapter
    if not folder.is_dir():
        raise UnknownChapter(f"no chapter {chapter!r}: choose one of {', '.join(chapters())}")
    return sorted(folder.glob("*.ipynb"))


def source_notebook(chapter, name):
    """solutions/<chapter>/<name>.ipynb, or None when the chapter has no such notebook."""
    return next((s for s in source_notebooks(chapter) if s.stem == name), None)


def released_path(source):
    """exercises/NN_slug/name.ipynb for solutions/NN_slug/name.ipynb."""
    return EXERCISES / source.parent.name / source.name


def read_submission(path):
    """The notebook at path, or SubmissionError saying what is wrong with the file."""
    try:
        size = pathlib.Path(path).stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"{path} is {size / 2**20:.0f} MB, more than the {MAX_NOTEBOOK_BYTES // 2**20} MB a "
                                  "notebook may be: clear its outputs (Kernel > Restart and clear output) and submit it again")
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise SubmissionError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise SubmissionError(f"{path} is a folder, not a notebook") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SubmissionError(f"cannot read {path}: {err}") from None
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, KeyError, AttributeError, TypeError):
        raise SubmissionError(f"{path} is not a Jupyter notebook (invalid JSON or notebook format)") from None


def identify(nb, path):
    """(chapter, source notebook) for a submission: from the metadata that release writes,
    else from the file name (micrograd.ipynb, 01_micrograd.ipynb, micrograd (1).ipynb...)."""
    meta = nb.metadata.get("course", {})
    chapter, name = meta.get("chapter"), meta.get("notebook")
    if chapter in chapters():
        sources = source_notebooks(chapter)
        if source_notebook(chapter, name):
            return chapter, source_notebook(chapter, name)
        if len(sources) == 1:
            return chapter, sources[0]
    stem = pathlib.Path(path).stem.lower()
    for chapter in chapters():
        for source in source_notebooks(chapter):
            if source.stem in stem or chapter in stem:
                return chapter, source
    raise UnknownChapter(
        f"cannot tell which chapter {path} belongs to: it has no course metadata and its name "
        f"matches none of {', '.join(chapters())}; grade the notebook you downloaded from exercises/")
