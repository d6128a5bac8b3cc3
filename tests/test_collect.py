"""`dl4cv collect` on folder trees and Canvas-style downloads, and the Canvas gradebook export."""

from __future__ import annotations

import csv
import stat
import zipfile
from pathlib import Path

import pytest

from dl4cv.course import report
from dl4cv.course.collect import collect, read_roster
from dl4cv.course.report import CellScore, export_canvas


@pytest.fixture
def course(tmp_path) -> Path:
    (tmp_path / "release" / "a1").mkdir(parents=True)
    (tmp_path / "source" / "a1").mkdir(parents=True)
    (tmp_path / "source" / "a1" / "knn.ipynb").write_text("{}")  # a folder with a notebook is an assignment
    for name in ("knn.ipynb", "features.ipynb"):
        (tmp_path / "release" / "a1" / name).write_text("{}")
    return tmp_path


def _tree(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_a_folder_per_student_with_or_without_the_assignment_folder(course, tmp_path):
    source = _tree(tmp_path / "download", {
        "ann/knn.ipynb": "ann nb", "ann/knn.py": "ann py", "ann/__MACOSX/junk": "x",
        "bob/a1/knn.ipynb": "bob nb", "bob/a1/features.ipynb": "bob f", "notes.txt": "stray",
    })  # fmt: skip
    result = collect(root=course, assignment="a1", source=source)
    assert (course / "submitted" / "ann" / "a1" / "knn.py").read_text() == "ann py"
    assert (course / "submitted" / "bob" / "a1" / "features.ipynb").read_text() == "bob f"
    assert not (course / "submitted" / "ann" / "a1" / "__MACOSX").exists()
    assert result.missing_notebooks == {"ann": ["features.ipynb"]}
    assert result.unmatched == ["notes.txt: not a student folder"]
    assert "2 students collected" in result.summary()


def test_a_canvas_download_keeps_the_latest_resubmission_and_unpacks_zips(course, tmp_path):
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("a1/knn.ipynb", "bob nb from zip")
        archive.writestr("../../escape.txt", "zip slip")
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr("doejane_1001_5001_knn.ipynb", "first try")
        archive.writestr("doejane_1001_5002_knn-1.ipynb", "second try")
        archive.writestr("doejane_1001_5003_knn.py", "jane py")
        archive.write(inner, "smithbob_LATE_1002_5004_work.zip")
        archive.writestr("readme.txt", "not a submission")
        link = zipfile.ZipInfo("doejane_1001_5005_link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    result = collect(root=course, assignment="a1", source=download)
    jane = course / "submitted" / "doejane" / "a1"
    assert (jane / "knn.ipynb").read_text() == "second try"
    assert sorted(p.name for p in jane.iterdir()) == ["knn.ipynb", "knn.py"]
    assert (course / "submitted" / "smithbob" / "a1" / "knn.ipynb").read_text() == "bob nb from zip"
    assert not list(tmp_path.rglob("escape.txt"))
    assert result.late == {"smithbob"}
    assert result.unmatched == ["readme.txt: the name does not carry a student"]
    assert read_roster(course / "lms" / "roster.csv") == {"doejane": "1001", "smithbob": "1002"}


def test_collecting_again_replaces_a_students_files(course, tmp_path):
    collect(root=course, assignment="a1", source=_tree(tmp_path / "one", {"ann/old.py": "old"}))
    collect(root=course, assignment="a1", source=_tree(tmp_path / "two", {"ann/knn.ipynb": "new"}))
    assert sorted(p.name for p in (course / "submitted" / "ann" / "a1").iterdir()) == ["knn.ipynb"]


def test_canvas_export_has_points_possible_and_one_row_per_known_student(course, monkeypatch):
    (course / "lms").mkdir()
    (course / "lms" / "roster.csv").write_text("student,canvas_id\ndoejane,1001\n")
    scores = {
        "doejane": [CellScore("knn", "a1_knn_x", True, 3.0, 4.0), CellScore("knn", "a1_knn_q", False, 1.0, 1.0)],
        "walkin": [CellScore("knn", "a1_knn_x", True, 4.0, 4.0), CellScore("knn", "a1_knn_q", False, None, 1.0)],
    }
    monkeypatch.setattr(report, "gradebook_scores", lambda **_: scores)
    export = export_canvas(root=course, assignment="a1", path=course / "canvas.csv", column="a1 (4711)")
    rows = list(csv.reader(export.path.open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1 (4711)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "5"
    assert rows[2] == ["doejane", "1001", "", "", "", "4"], "Canvas matches on ID; a file-name login is no SIS login"
    assert export.not_in_roster == ["walkin"]
    assert export.pending == ["walkin"]


def test_canvas_export_can_leave_out_students_whose_written_answers_wait(course, monkeypatch):
    (course / "lms").mkdir()
    (course / "lms" / "roster.csv").write_text("student,canvas_id\ndoejane,1001\nroe,1002\n")
    scores = {
        "doejane": [CellScore("knn", "a1_knn_x", True, 3.0, 4.0), CellScore("knn", "a1_knn_q", False, None, 1.0)],
        "roe": [CellScore("knn", "a1_knn_x", True, 4.0, 4.0), CellScore("knn", "a1_knn_q", False, 1.0, 1.0)],
    }
    monkeypatch.setattr(report, "gradebook_scores", lambda **_: scores)
    export = export_canvas(root=course, assignment="a1", path=course / "canvas.csv", omit_pending=True)
    assert [row[0] for row in csv.reader(export.path.open())][2:] == ["roe"]
    assert export.pending == ["doejane"]
