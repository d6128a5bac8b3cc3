"""Tests for dl4cv.notebook_setup: every decision with fakes; nothing is mounted, cloned or installed."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import dl4cv.notebook_setup as ns
from dl4cv.device import default_device, describe
from dl4cv.notebook_setup import (
    SetupPlan,
    copy_missing,
    detect_environment,
    plan_setup,
    setup_cell_source,
    setup_notebook,
)

URL = "https://github.com/dl4cv-course/dl4cv"
CWD = Path("/home/student/course")
HOME = Path("/home/student")
COLAB_WORKDIR = Path("/content/drive/MyDrive/dl4cv/a1")
KAGGLE_WORKDIR = Path("/kaggle/working/a1")
PLATFORM_VARIABLES = ("COLAB_RELEASE_TAG", "COLAB_GPU", "KAGGLE_KERNEL_RUN_TYPE", "KAGGLE_URL_BASE", "DL4CV_DRIVE_DIR")


def clone_cmd(target: str | Path) -> tuple[str, ...]:
    return ("git", "clone", "--depth", "1", URL, str(target))


def pip_cmd() -> tuple[str, ...]:
    return (sys.executable, "-m", "pip", "install", "-q", "git+" + URL)


@pytest.fixture(autouse=True)
def clean_process(monkeypatch):
    """Run every test as if locally, on the CPU, with sys.path restored afterwards."""
    for name in PLATFORM_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setenv("DL4CV_DEVICE", "cpu")
    monkeypatch.setattr(sys, "path", list(sys.path))


def forbidden(*args, **kwargs):
    raise AssertionError(f"must not be called: {args} {kwargs}")


# --------------------------------------------------------------------------- detect_environment


@pytest.mark.parametrize(
    ("environ", "modules", "expected"),
    [
        ({}, {}, "local"),
        ({"HOME": "/root", "PATH": "/usr/bin"}, {"os": object()}, "local"),
        ({"COLAB_RELEASE_TAG": "release-colab_20250101"}, {}, "colab"),
        ({"COLAB_GPU": "1"}, {}, "colab"),
        ({}, {"google.colab": object()}, "colab"),
        ({"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, {}, "kaggle"),
        ({"KAGGLE_URL_BASE": "https://www.kaggle.com"}, {}, "kaggle"),
        ({"KAGGLE_URL_BASE": "x", "COLAB_GPU": "0"}, {}, "colab"),
    ],
)
def test_detect_environment(environ, modules, expected):
    assert detect_environment(environ, modules) == expected


def test_detect_environment_defaults_to_the_process(monkeypatch):
    assert detect_environment() == "local"
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Batch")
    assert detect_environment() == "kaggle"
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert detect_environment() == "colab"


# --------------------------------------------------------------------------- plan_setup


def plan(environment: str, **overrides) -> SetupPlan:
    options = dict(environment=environment, cwd=CWD, home=HOME, package_installed=True, workdir_exists=False)
    options.update(overrides)
    return plan_setup("a1", URL, **options)


@pytest.mark.parametrize("installed", [True, False])
@pytest.mark.parametrize("exists", [True, False])
def test_local_plan_does_nothing(installed, exists):
    assert plan("local", package_installed=installed, workdir_exists=exists) == SetupPlan(
        "local", mount_drive=False, workdir=None, commands=(), copy_release_from=None
    )


def test_colab_first_run_mounts_clones_copies_and_installs():
    result = plan("colab", package_installed=False)
    assert result.environment == "colab"
    assert result.mount_drive is True
    assert result.workdir == COLAB_WORKDIR
    assert result.commands == (clone_cmd("/content/dl4cv-course"), pip_cmd())
    assert result.copy_release_from == Path("/content/dl4cv-course/release/a1")


def test_colab_with_existing_workdir_and_package_only_mounts():
    result = plan("colab", workdir_exists=True)
    assert (result.mount_drive, result.workdir, result.commands, result.copy_release_from) == (
        True, COLAB_WORKDIR, (), None,
    )  # fmt: skip


def test_colab_existing_workdir_without_package_only_installs():
    result = plan("colab", workdir_exists=True, package_installed=False)
    assert result.commands == (pip_cmd(),)
    assert result.copy_release_from is None


def test_colab_fresh_workdir_with_package_clones_and_copies_without_pip():
    result = plan("colab")
    assert result.commands == (clone_cmd("/content/dl4cv-course"),)
    assert result.copy_release_from == Path("/content/dl4cv-course/release/a1")


def test_existing_clone_is_reused_and_checks_receive_the_folders():
    seen = []

    def exists(path: Path) -> bool:
        seen.append(path)
        return path == Path("/content/dl4cv-course")

    result = plan("colab", workdir_exists=exists, clone_exists=exists)
    assert seen == [COLAB_WORKDIR, Path("/content/dl4cv-course")]
    assert result.commands == ()
    assert result.copy_release_from == Path("/content/dl4cv-course/release/a1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/content/drive/MyDrive/courses/cv", Path("/content/drive/MyDrive/courses/cv/a1")),
        ("~/cv", HOME / "cv" / "a1"),
        ("work/cv", CWD / "work" / "cv" / "a1"),
        ("", COLAB_WORKDIR),
    ],
)
def test_drive_dir_environment_override(value, expected):
    result = plan("colab", environ={"DL4CV_DRIVE_DIR": value})
    assert result.workdir == expected
    assert result.mount_drive is True


def test_drive_dir_parameter_wins_and_plan_ignores_the_process(monkeypatch, tmp_path):
    monkeypatch.setenv("DL4CV_DRIVE_DIR", "/elsewhere")
    assert plan("colab").workdir == COLAB_WORKDIR  # pure: environ must be passed explicitly
    assert plan("colab", environ={"DL4CV_DRIVE_DIR": "/x"}, drive_dir=tmp_path).workdir == tmp_path / "a1"


@pytest.mark.parametrize("installed", [True, False])
def test_kaggle_plan(installed):
    result = plan("kaggle", package_installed=installed)
    assert result.mount_drive is False
    assert result.workdir == KAGGLE_WORKDIR
    expected = (clone_cmd("/kaggle/working/dl4cv-course"),) + (() if installed else (pip_cmd(),))
    assert result.commands == expected
    assert result.copy_release_from == Path("/kaggle/working/dl4cv-course/release/a1")
    clone = Path(result.commands[0][-1])
    assert clone != result.workdir and result.workdir not in clone.parents  # the clone stays outside
    assert plan("kaggle", workdir_exists=True).commands == ()


def test_plan_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown environment"):
        plan("binder")
    for bad in ("../a1", "a1/x", "", ".hidden", "a 1"):
        with pytest.raises(ValueError, match="plain folder name"):
            plan_setup(bad, URL, environment="colab", cwd=CWD, home=HOME, package_installed=True, workdir_exists=False)
    with pytest.raises(ValueError, match="outside the working folder"):
        plan("colab", clone_dir=COLAB_WORKDIR / "course")
    with pytest.raises(ValueError, match="outside the working folder"):
        plan("kaggle", clone_dir=Path("/kaggle/working"))


def test_describe_lists_every_step():
    text = plan("colab", package_installed=False).describe()
    assert "colab" in text and "mount Google Drive at /content/drive" in text
    assert f"git clone --depth 1 {URL} /content/dl4cv-course" in text
    assert f"-m pip install -q git+{URL}" in text
    assert "existing files are kept" in text and str(COLAB_WORKDIR) in text
    assert "stay in the current folder" in plan("local").describe()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan("local").workdir = Path("/tmp")  # type: ignore[misc]


# --------------------------------------------------------------------------- copy_missing


def test_copy_missing_never_overwrites(tmp_path):
    source, destination = tmp_path / "release", tmp_path / "work"
    (source / "data").mkdir(parents=True)
    (source / "knn.py").write_text("# TODO\n")
    (source / "knn.ipynb").write_text("{}")
    (source / "data" / "labels.txt").write_text("cat\n")
    destination.mkdir()
    (destination / "knn.py").write_text("# my solution\n")
    copied = copy_missing(source, destination)
    assert sorted(copied) == [destination / "data" / "labels.txt", destination / "knn.ipynb"]
    assert (destination / "knn.py").read_text() == "# my solution\n"
    assert (destination / "data" / "labels.txt").read_text() == "cat\n"
    assert copy_missing(source, destination) == []
    with pytest.raises(FileNotFoundError, match="released"):
        copy_missing(tmp_path / "missing", destination)


# --------------------------------------------------------------------------- setup_notebook


class Recorder:
    """Fake side effects that record, in one list, what setup_notebook asked for."""

    def __init__(self, tmp_path: Path, student_work: dict[str, str] | None = None):
        self.calls: list[tuple] = []
        self.lines: list[str] = []
        self.drive = tmp_path / "drive"
        self.clone = tmp_path / "clone"
        self.student_work = student_work or {}

    def mount(self, mount_point: str) -> None:
        self.calls.append(("mount", mount_point))
        for name, text in self.student_work.items():  # mounting reveals earlier work on Drive
            (self.drive / "a1").mkdir(parents=True, exist_ok=True)
            (self.drive / "a1" / name).write_text(text)

    def run(self, argv: list[str]) -> int:
        self.calls.append(("run", tuple(argv)))
        if argv[:2] == ["git", "clone"]:
            release = Path(argv[-1]) / "release" / "a1"
            release.mkdir(parents=True)
            (release / "knn.py").write_text("# TODO: write knn\n")
            (release / "knn.ipynb").write_text("{}")
        return 0

    def copytree(self, source: Path, destination: Path) -> list[Path]:
        self.calls.append(("copy", source, destination))
        return copy_missing(source, destination)

    def chdir(self, path: Path) -> None:
        self.calls.append(("chdir", Path(path)))

    def setup(self, environ: dict[str, str], **kwargs) -> torch.device:
        options = dict(
            environ=environ, modules={}, run=self.run, mount=self.mount, chdir=self.chdir,
            copytree=self.copytree, out=self.lines.append, clone_dir=self.clone,
        )  # fmt: skip
        options.update(kwargs)
        return setup_notebook("a1", URL, **options)


def test_colab_first_run(tmp_path):
    fake = Recorder(tmp_path)
    environ = {"COLAB_RELEASE_TAG": "r", "DL4CV_DRIVE_DIR": str(fake.drive)}
    device = fake.setup(environ, package_installed=False)
    workdir = fake.drive / "a1"
    assert fake.calls == [
        ("mount", "/content/drive"),
        ("run", clone_cmd(fake.clone)),
        ("run", pip_cmd()),
        ("copy", fake.clone / "release" / "a1", workdir),
        ("chdir", workdir),
    ]
    assert (workdir / "knn.py").read_text() == "# TODO: write knn\n"
    assert (workdir / "knn.ipynb").exists()
    assert sys.path[0] == str(workdir)
    assert device == torch.device("cpu")
    assert len(fake.lines) == 2 and "git clone" in fake.lines[0]  # the plan, then the status line
    status = fake.lines[-1]
    for part in ("colab", str(workdir), describe(device), "no GPU found: running on CPU", "Runtime > Change runtime"):
        assert part in status


def test_colab_mount_reveals_existing_work_which_is_kept(tmp_path):
    fake = Recorder(tmp_path, student_work={"knn.py": "# my solution\n"})
    environ = {"COLAB_GPU": "0", "DL4CV_DRIVE_DIR": str(fake.drive)}
    fake.setup(environ, package_installed=True)
    workdir = fake.drive / "a1"
    assert fake.calls == [("mount", "/content/drive"), ("chdir", workdir)]  # no clone, no copy, no pip
    assert (workdir / "knn.py").read_text() == "# my solution\n"
    assert len(fake.lines) == 1
    sys.path.remove(str(workdir))
    sys.path.append(str(workdir))
    fake.setup(environ, package_installed=True)
    assert sys.path.count(str(workdir)) == 1  # already importable: not added twice


def test_colab_copy_never_overwrites_a_student_file(tmp_path):
    fake = Recorder(tmp_path)
    workdir = fake.drive / "a1"
    real_run = fake.run

    def run_and_save(argv: list[str]) -> int:  # the student's file appears while the clone runs
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "knn.py").write_text("# my solution\n")
        return real_run(argv)

    fake.setup({"COLAB_GPU": "1", "DL4CV_DRIVE_DIR": str(fake.drive)}, run=run_and_save, copytree=None)
    assert (workdir / "knn.py").read_text() == "# my solution\n"
    assert (workdir / "knn.ipynb").exists()


def test_kaggle_clones_next_to_the_workdir(tmp_path):
    fake = Recorder(tmp_path)
    calls = []
    fake.setup(
        {"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, mount=forbidden, clone_dir=None, package_installed=False,
        run=lambda argv: calls.append(tuple(argv)), copytree=lambda s, d: calls.append(("copy", s, d)),
    )  # fmt: skip
    assert calls == [
        clone_cmd("/kaggle/working/dl4cv-course"),
        pip_cmd(),
        ("copy", Path("/kaggle/working/dl4cv-course/release/a1"), KAGGLE_WORKDIR),
    ]
    assert fake.calls == [("chdir", KAGGLE_WORKDIR)]
    assert "kaggle" in fake.lines[-1] and "Settings > Accelerator > GPU" in fake.lines[-1]


def test_local_only_prints_the_device_line(monkeypatch):
    monkeypatch.delenv("DL4CV_DEVICE")
    lines: list[str] = []
    path_before = list(sys.path)
    device = setup_notebook(
        "a1", URL, environ={}, modules={}, run=forbidden, mount=forbidden, chdir=forbidden,
        copytree=forbidden, out=lines.append,
    )  # fmt: skip
    assert device == default_device()
    assert sys.path == path_before
    assert len(lines) == 1
    assert "local" in lines[0] and str(Path.cwd()) in lines[0] and describe(device) in lines[0]
    assert ("no GPU found" in lines[0]) == (device.type == "cpu")
    assert "Runtime" not in lines[0] and "Accelerator" not in lines[0]


def test_local_without_package_explains_the_fix():
    with pytest.raises(ModuleNotFoundError, match="make demo"):
        setup_notebook("a1", URL, environ={}, modules={}, run=forbidden, package_installed=False, out=forbidden)


def test_failing_command_gives_a_hint(tmp_path):
    def failing(argv):
        raise subprocess.CalledProcessError(128, argv)

    fake = Recorder(tmp_path)
    with pytest.raises(RuntimeError, match="internet") as info:
        fake.setup({"KAGGLE_URL_BASE": "x"}, run=failing)
    assert isinstance(info.value.__cause__, subprocess.CalledProcessError)


# --------------------------------------------------------------------------- setup_cell_source


def test_cell_source_is_short_deterministic_and_stdlib_only():
    source = setup_cell_source("a1", URL)
    assert source == setup_cell_source("a1", URL)
    compile(source, "<setup cell>", "exec")
    lines = source.splitlines()
    assert lines[0].startswith("# Run this cell first") and "Colab" in lines[0] and "Kaggle" in lines[0]
    assert len(lines) <= 20
    assert 'ASSIGNMENT = "a1"' in lines and f'COURSE_REPOSITORY = "{URL}"' in lines
    imported = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            imported += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.module == "dl4cv.notebook_setup"  # the only non-stdlib import, after the install
    assert imported and set(imported) <= set(sys.stdlib_module_names)
    with pytest.raises(ValueError):
        setup_cell_source("../a1", URL)


def hide_dl4cv(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "dl4cv" else real(name, *a))


@pytest.mark.parametrize("variable", ["COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE"])
def test_cell_installs_from_the_configured_repository(monkeypatch, variable):
    url = 'https://example.org/my "fork".git'
    monkeypatch.setenv(variable, "1")
    hide_dl4cv(monkeypatch)
    installs, setups = [], []
    monkeypatch.setattr(subprocess, "check_call", lambda argv, *a, **k: installs.append(argv) or 0)
    monkeypatch.setattr(ns, "setup_notebook", lambda *args, **kwargs: setups.append(args) or torch.device("cpu"))
    namespace: dict = {"__name__": "__main__"}
    exec(setup_cell_source("a1", url), namespace)
    assert installs == [[sys.executable, "-m", "pip", "install", "-q", "git+" + url]]
    assert setups == [("a1", url)]
    assert namespace["COURSE_REPOSITORY"] == url
    assert namespace["DEVICE"] == torch.device("cpu")


def test_cell_runs_locally_when_installed(monkeypatch, capsys):
    monkeypatch.setattr(subprocess, "check_call", forbidden)
    namespace: dict = {"__name__": "__main__"}
    exec(setup_cell_source("a1", URL), namespace)
    assert namespace["DEVICE"] == torch.device("cpu")
    assert "local" in capsys.readouterr().out


def test_cell_explains_a_missing_local_install(monkeypatch):
    hide_dl4cv(monkeypatch)
    monkeypatch.setattr(subprocess, "check_call", forbidden)
    with pytest.raises(ModuleNotFoundError, match=r"make demo.*pip install -e \."):
        exec(setup_cell_source("a1", URL), {"__name__": "__main__"})


@pytest.mark.parametrize(
    "environ, platform, expected",
    [
        ({}, "linux", "dummy"),  # a server, Colab or the grader: no screen
        ({"DISPLAY": ":0"}, "linux", None),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", None),
        ({"SDL_VIDEODRIVER": "x11"}, "linux", "x11"),  # the user's own choice stays
        ({}, "darwin", None),
    ],
)
def test_pygame_pictures_need_no_screen(environ, platform, expected):
    from dl4cv.notebook_setup import headless_pictures

    headless_pictures(environ, platform)
    assert environ.get("SDL_VIDEODRIVER") == expected
