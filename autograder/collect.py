"""Collect a class's submissions into the class folder, in nbgrader's layout:

    submitted/<student>/<chapter>/<notebook>.ipynb

from a folder with one sub-folder per student (any notebooks below it, any names), or from a zip
of such a folder. Each notebook's chapter is identified as `grade` does. A collected file that
already exists with other contents is kept unless the caller asks to replace it.
"""
import dataclasses
import datetime
import hashlib
import os
import pathlib
import re
import shutil
import tempfile
import zipfile

from . import layout

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")
MAX_ZIP_BYTES = 2 * 2**30  # expanded, all files together
MAX_ZIP_FILES = 20_000
MAX_ZIP_RATIO = 200  # expanded / compressed, for any file over 1 MB


class CollectError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Submission:
    student: str
    chapter: str
    notebook: str
    path: pathlib.Path

    @property
    def key(self):
        return self.student, self.chapter, self.notebook


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def _walk(folder):
    """(notebooks, skipped) under folder, never following a link: skipped holds
    (path, why) for links and for notebooks in hidden folders, which are reported, not collected."""
    notebooks, skipped = [], []
    for top, dirs, files in os.walk(folder, followlinks=False):
        top = pathlib.Path(top)
        for name in sorted(dirs):
            if (top / name).is_symlink():
                skipped.append((top / name, "a link to a folder, not a folder: not followed"))
        for name in sorted(files):
            path = top / name
            if not name.endswith(".ipynb"):
                continue
            hidden = [part for part in path.relative_to(folder).parts[:-1] if part.startswith(".")]
            if path.is_symlink():
                skipped.append((path, "a link, not a notebook: submit the file itself"))
            elif hidden or name.startswith("."):
                skipped.append((path, f"in a hidden folder ({hidden[0]})" if hidden else "a hidden file"))
            elif path.is_file():
                notebooks.append(path)
    return sorted(notebooks), sorted(skipped)


def _notebooks(folder):
    return _walk(folder)[0]


def _student_folders(root):
    """The per-student folders: root's sub-folders, after unwrapping single wrapping folders
    (a zip of `submissions/` holds `submissions/<student>/...`)."""
    while True:
        entries = [p for p in root.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        folders = [p for p in entries if p.is_dir()]
        if len(folders) == 1 and not folders[0].is_symlink() and not any(p.suffix == ".ipynb" for p in entries) \
                and _notebooks(folders[0]) and not any(p.suffix == ".ipynb" for p in folders[0].iterdir()):
            root = folders[0]
            continue
        hidden = [p for p in root.iterdir() if p.name.startswith(".") and p.is_dir()]
        return sorted(folders), sorted(hidden)


def _extract(archive, into):
    """Unpack a zip after checking, from its directory alone, that it is safe to: no path out of
    `into`, and no more files and bytes than a class can hold (a zip bomb is refused unopened)."""
    with zipfile.ZipFile(archive) as z:
        infos = z.infolist()
        if len(infos) > MAX_ZIP_FILES:
            raise CollectError(f"{archive} holds {len(infos):,} files, more than {MAX_ZIP_FILES:,}: not unpacked")
        total = sum(i.file_size for i in infos)
        if total > MAX_ZIP_BYTES:
            raise CollectError(f"{archive} expands to {total / 2**30:.1f} GiB, more than {MAX_ZIP_BYTES / 2**30:g} GiB: "
                               "not unpacked; unpack it yourself and collect the folder")
        for info in infos:
            target = (into / info.filename).resolve()
            if not str(target).startswith(str(into.resolve()) + "/") and target != into.resolve():
                raise CollectError(f"{archive} holds an unsafe path {info.filename!r}; unpack it yourself and collect the folder")
            if info.file_size > 2**20 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                raise CollectError(f"{archive}: {info.filename!r} is compressed {info.file_size // max(info.compress_size, 1):,} "
                                   "to 1, as zip bombs are: not unpacked")
        # zipfile writes no links and reads no further than each file's stated size
        z.extractall(into)


def collect(source, course, replace=False):
    """Copy the submissions under source (a folder or a .zip) into course/submitted/.
    Returns [(message, ok)], one line per notebook found."""
    source, course = pathlib.Path(source), pathlib.Path(course)
    if not source.exists():
        raise CollectError(f"{source} does not exist: give a folder with one sub-folder per student, or a zip of one")
    with tempfile.TemporaryDirectory(prefix="collect-") as scratch:
        if source.is_file():
            if not zipfile.is_zipfile(source):
                raise CollectError(f"{source} is neither a folder nor a zip file")
            _extract(source, pathlib.Path(scratch))
            source = pathlib.Path(scratch)
        return _collect_folder(source, course, replace)


def _collect_folder(root, course, replace):
    lines, claimed = [], {}
    students, hidden = _student_folders(root)
    if not students:
        raise CollectError(f"{root} has no student folders: lay it out as <student>/<notebook>.ipynb")
    lines += [(f"{folder.name}: skipped: a hidden folder (rename it if it is a student's)", False) for folder in hidden]
    for folder in students:
        if folder.is_symlink():
            lines.append((f"{folder.name}: skipped: a link to a folder, not a folder: not followed", False))
            continue
        if not STUDENT_ID.match(folder.name):
            lines.append((f"{folder.name}: skipped: a student id is letters, digits and . _ @ + -", False))
            continue
        notebooks, skipped = _walk(folder)
        for path, why in skipped:
            lines.append((f"{folder.name}/{path.relative_to(folder)}: skipped: {why}", False))
        for path in notebooks:
            shown = f"{folder.name}/{path.relative_to(folder)}"
            try:
                chapter, source = layout.identify(layout.read_submission(path), path)
            except layout.SubmissionError as err:
                lines.append((f"{shown}: skipped: {err}", False))
                continue
            target = course / "submitted" / folder.name / chapter / source.name
            if target in claimed:
                lines.append((f"{shown}: skipped: {claimed[target]} is already this student's {chapter}/{source.name}; "
                              "keep one of them", False))
                continue
            claimed[target] = shown
            if target.exists() and sha256(target) == sha256(path):
                lines.append((f"{shown}: unchanged", True))
                continue
            if target.exists() and not replace:
                lines.append((f"{shown}: skipped: differs from the copy collected before "
                              f"({target.relative_to(course)}); collect with --replace to take the new one", False))
                continue
            verb = "replaced" if target.exists() else "collected"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            (target.parent / "timestamp.txt").write_text(_utc_now())  # nbgrader's record of when
            lines.append((f"{shown}: {verb} as {target.relative_to(course)}", True))
    return lines


def submitted(course):
    """Every collected submission in course/submitted/, in a stable order."""
    found = []
    base = pathlib.Path(course) / "submitted"
    if not base.is_dir():
        return found
    for student in sorted(p for p in base.iterdir() if p.is_dir()):
        for chapter in sorted(p for p in student.iterdir() if p.is_dir() and p.name in layout.chapters()):
            for path in sorted(chapter.glob("*.ipynb")):
                found.append(Submission(student.name, chapter.name, path.stem, path))
    return found
