"""Releases: generated from source, committed in sync, and free of solutions and hidden tests,
as is everything students install."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dl4cv.course import notebooks
from dl4cv.course.modules import BEGIN_SOLUTION, END_SOLUTION, student_modules
from dl4cv.course.release import release_assignment

from .conftest import ROOT

MARKERS = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS")


def _solution_lines(root: Path) -> set[str]:
    """Distinctive lines that appear only inside solution or hidden-test regions of the sources."""
    inside_lines: set[str] = set()
    outside_lines: set[str] = set()
    texts = [m.read_text() for m in root.glob("source/*/*.py")]
    for path in root.glob("source/*/*.ipynb"):
        texts += [c.source for c in notebooks.read(path).cells]
    for text in texts:
        inside = False
        for line in text.splitlines():
            if BEGIN_SOLUTION in line or "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif END_SOLUTION in line or "END HIDDEN TESTS" in line:
                inside = False
            elif len(line.strip()) > 25:
                (inside_lines if inside else outside_lines).add(line.strip())
    return inside_lines - outside_lines


def _lines(text: str) -> set[str]:
    """Stripped lines of a file; for a notebook, the lines of its cells' sources."""
    lines = {line.strip() for line in text.splitlines()}
    if text.lstrip().startswith("{"):
        import json

        lines |= {ln.strip() for cell in json.loads(text).get("cells", []) for ln in "".join(cell["source"]).splitlines()}
    return lines


def _released_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted((root / "release").rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_release_folder_equals_a_fresh_release(course: Path):
    committed = _released_files(course)
    for folder in sorted((course / "source").iterdir()):
        release_assignment(root=course, assignment=folder.name)
    assert _released_files(course) == committed, "release/ is stale: run `make release` and commit it"


def test_release_holds_no_solution_or_hidden_test():
    solution_lines = _solution_lines(ROOT)
    assert solution_lines, "expected solution regions in source/"
    for path, text in _released_files(ROOT).items():
        assert not MARKERS.search(text), f"{path} contains a solution or hidden-test marker"
        leaked = solution_lines & _lines(text)
        assert not leaked, f"{path} contains solution or hidden-test lines: {sorted(leaked)[:3]}"


def test_every_student_module_is_released():
    for folder in sorted((ROOT / "source").iterdir()):
        for module in student_modules(folder):
            assert (ROOT / "release" / folder.name / module.name).is_file()


@pytest.mark.slow
def test_installable_package_holds_no_solution(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("dl4cv-*.whl")
    solution_lines = _solution_lines(ROOT)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert all(name.startswith(("dl4cv/", "dl4cv-")) for name in names), names
        assert {"dl4cv/weights/scene_encoder.pt", "dl4cv/weights/fashion_classifier.pt"} <= set(names), "the shipped weights travel with the package"
        for name in names:
            text = archive.read(name).decode("utf-8", errors="replace")
            leaked = solution_lines & _lines(text)
            assert not leaked, f"{name} contains solution lines: {sorted(leaked)[:3]}"
