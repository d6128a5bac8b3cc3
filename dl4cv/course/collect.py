"""`dl4cv collect`: bring students' files into `submitted/<student>/<aid>/`, from a folder tree or
an LMS download, and say what could not be matched.

Accepted layouts:

- a folder with one folder per student, holding the files directly or in a `<aid>/` sub-folder;
- a Canvas-style "Download submissions" zip (or its unpacked folder), whose file names carry the
  student: `<login>_<user id>_<submission id>_<file name>`, with `_LATE` after the login for late
  work and `-<n>` added to the file name for a resubmission (the highest `n` wins). A submitted
  `.zip` is unpacked in place.

Canvas ids found on the way go to `lms/roster.csv` (student, canvas_id), which
`dl4cv export --canvas` uses to write a gradebook Canvas can import.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dl4cv.course.config import require_assignment

CANVAS_NAME = re.compile(r"^(?P<login>[a-z0-9]+)(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.IGNORECASE)
RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[^.]+)$")
SKIPPED = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "__pycache__"}
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class CollectReport:
    """What `collect` did: files placed per student, and what it could not use (with why)."""

    assignment: str
    placed: dict[str, list[str]] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    late: set[str] = field(default_factory=set)
    missing_notebooks: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"{len(self.placed)} students collected for {self.assignment}"]
        for student, files in sorted(self.placed.items()):
            notes = [" LATE" if student in self.late else ""]
            if self.missing_notebooks.get(student):
                notes.append(f" missing {', '.join(self.missing_notebooks[student])}")
            lines.append(f"  {student}: {len(files)} files{''.join(notes)}")
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} entries not matched to a student:")
            lines += [f"  {entry}" for entry in self.unmatched]
        return "\n".join(lines)


def _usable(path: PurePosixPath) -> bool:
    return not any(part in SKIPPED or part.startswith("._") for part in path.parts)


def _unpack(source: Path, into: Path) -> Path:
    """Unpack a zip safely (no absolute paths, no `..`, no links); returns the folder."""
    with zipfile.ZipFile(source) as archive:
        for member in archive.infolist():
            name = PurePosixPath(member.filename)
            is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
            if member.is_dir() or is_link or name.is_absolute() or ".." in name.parts or not _usable(name):
                continue
            target = into / Path(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as data, target.open("wb") as out:
                shutil.copyfileobj(data, out)
    return into


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
                  and _usable(PurePosixPath(*p.relative_to(folder).parts)))  # fmt: skip


def _canvas_entries(folder: Path) -> dict[str, list[tuple[Path, str, int]]] | None:
    """Per Canvas login, its (file, original name, resubmission number); None if not Canvas-style."""
    entries: dict[str, list[tuple[Path, str, int]]] = {}
    top = [p for p in folder.iterdir() if p.is_file() and _usable(PurePosixPath(p.name))]
    matches = {p: CANVAS_NAME.match(p.name) for p in top}
    if not top or not any(matches.values()):
        return None
    for path, match in matches.items():
        if match is None:
            entries.setdefault("", []).append((path, path.name, 0))
            continue
        name, number = match["file"], 0
        resubmitted = RESUBMISSION.match(name)
        if resubmitted:
            name, number = resubmitted["stem"] + resubmitted["ext"], int(resubmitted["n"])
        entries.setdefault(match["login"].lower(), []).append((path, name, number))
    return entries


def collect(*, root: Path, assignment: str, source: Path, replace: bool = True) -> CollectReport:
    """Copy every student's files from `source` (folder or zip) into `root/submitted/`.

    Raises `CourseError` for an unknown assignment, before anything is written."""
    root, source = Path(root), Path(source)
    require_assignment(root, assignment)
    report = CollectReport(assignment)
    expected = {p.name for p in (root / "release" / assignment).glob("*.ipynb")}
    with tempfile.TemporaryDirectory(prefix="dl4cv-collect-") as scratch:
        folder = _unpack(source, Path(scratch)) if source.is_file() else source
        canvas = _canvas_entries(folder)
        roster: dict[str, str] = {}
        students: dict[str, list[tuple[Path, str]]] = {}
        if canvas is not None:
            for login, items in canvas.items():
                if not login:
                    report.unmatched += [f"{p.name}: the name does not carry a student" for p, _, _ in items]
                    continue
                newest: dict[str, tuple[Path, int]] = {}
                for path, name, number in items:
                    if name not in newest or number > newest[name][1]:
                        newest[name] = (path, number)
                students[login] = [(path, name) for name, (path, _) in newest.items()]
                match = CANVAS_NAME.match(items[0][0].name)
                roster[login] = match["user"]
                if any(CANVAS_NAME.match(p.name)["late"] for p, _, _ in items):
                    report.late.add(login)
        else:
            for entry in sorted(folder.iterdir()):
                if not entry.is_dir() or not _usable(PurePosixPath(entry.name)):
                    report.unmatched.append(f"{entry.name}: not a student folder")
                    continue
                base = entry / assignment if (entry / assignment).is_dir() else entry
                students[entry.name] = [(p, str(p.relative_to(base))) for p in _files(base)]
        for student, items in sorted(students.items()):
            if not STUDENT_ID.match(student):
                report.unmatched.append(f"{student}: not a usable student id")
                continue
            target = root / "submitted" / student / assignment
            if replace and target.exists():
                shutil.rmtree(target)
            for path, name in items:
                if name.endswith(".zip"):  # a zipped folder: its files go in directly
                    unpacked = _unpack(path, Path(tempfile.mkdtemp(dir=scratch)))
                    entries = list(unpacked.iterdir())
                    while len(entries) == 1 and entries[0].is_dir():
                        unpacked, entries = entries[0], list(entries[0].iterdir())
                    shutil.copytree(unpacked, target, dirs_exist_ok=True)
                    continue
                destination = target / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)
            placed = [str(p.relative_to(target)) for p in _files(target)] if target.exists() else []
            report.placed[student] = placed
            missing = sorted(expected - {PurePosixPath(p).name for p in placed})
            if missing:
                report.missing_notebooks[student] = missing
        if roster:
            _merge_roster(root / "lms" / "roster.csv", roster)
    return report


def _merge_roster(path: Path, found: dict[str, str]) -> None:
    rows = read_roster(path)
    rows.update(found)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "canvas_id"])
        writer.writerows(sorted(rows.items()))


def read_roster(path: Path) -> dict[str, str]:
    """student -> Canvas user id, from `lms/roster.csv` (empty when there is none)."""
    if not Path(path).is_file():
        return {}
    with Path(path).open(newline="") as handle:
        return {row["student"]: row["canvas_id"] for row in csv.DictReader(handle)}
