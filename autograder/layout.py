"""Where things are in the course repository, and which chapter a notebook belongs to."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
CHAPTER_ID = re.compile(r"^\d\d_[a-z_]+$")


class UnknownChapter(ValueError):
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
