"""The first cell of every assignment notebook: the same code locally, on Google Colab and on Kaggle.

The notebook cell itself (`setup_cell_source`) is a short standard-library bootstrap that installs
`dl4cv` on Colab or Kaggle when it is missing and then calls `setup_notebook`. All decisions are made
by the pure function `plan_setup`; `setup_notebook` only carries out a plan through injectable
callables, so every branch can be tested without mounting, cloning or installing anything.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dl4cv import env

if TYPE_CHECKING:  # torch is imported lazily: the module must import even before torch does
    import torch

DRIVE_MOUNT_POINT = Path("/content/drive")
DEFAULT_DRIVE_DIR = DRIVE_MOUNT_POINT / "MyDrive" / "dl4cv"
DRIVE_DIR_ENV = "DL4CV_DRIVE_DIR"
COLAB_CLONE_DIR = Path("/content/dl4cv-course")
KAGGLE_WORKING_DIR = Path("/kaggle/working")
KAGGLE_CLONE_DIR = KAGGLE_WORKING_DIR / "dl4cv-course"
ENVIRONMENTS = ("local", "colab", "kaggle")
_HINT_PARTS = (
    "dl4cv is not installed here: in the course folder run `make demo` ",
    "(or `pip install -e .`), then restart the kernel and run this cell again.",
)
LOCAL_INSTALL_HINT = "".join(_HINT_PARTS)
GPU_HINTS = {
    "colab": "to use a GPU choose Runtime > Change runtime type > GPU, then run this cell again",
    "kaggle": "to use a GPU choose Settings > Accelerator > GPU, then run this cell again",
}
NETWORK_HINT = "check the internet connection (on Kaggle: Settings > Internet on) and run this cell again"
_ASSIGNMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

PathCheck = bool | Callable[[Path], bool]


def detect_environment(environ: Mapping[str, str] | None = None, modules: Mapping[str, Any] | None = None) -> str:
    """Return "colab", "kaggle" or "local" (defaults: `os.environ` and `sys.modules`)."""
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if "google.colab" in modules or "COLAB_RELEASE_TAG" in environ or "COLAB_GPU" in environ:
        return "colab"
    if "KAGGLE_KERNEL_RUN_TYPE" in environ or "KAGGLE_URL_BASE" in environ:
        return "kaggle"
    return "local"


@dataclass(frozen=True)
class SetupPlan:
    """What the setup cell will do, in order: mount, run commands, copy release files, change folder."""

    environment: str
    mount_drive: bool
    workdir: Path | None  # folder to change into; None = stay where the notebook is
    commands: tuple[tuple[str, ...], ...]  # shell commands as argv tuples, run in order
    copy_release_from: Path | None  # copied into `workdir` after the commands, never overwriting

    def describe(self) -> str:
        """A short human-readable list of the steps."""
        lines = [f"dl4cv setup plan ({self.environment}):"]
        if self.mount_drive:
            lines.append(f"- mount Google Drive at {DRIVE_MOUNT_POINT}")
        lines += [f"- run: {shlex.join(command)}" for command in self.commands]
        if self.copy_release_from is not None:
            lines.append(f"- copy {self.copy_release_from} into {self.workdir} (existing files are kept)")
        lines.append("- stay in the current folder" if self.workdir is None else f"- work in {self.workdir}")
        return "\n".join(lines)


def _check(value: PathCheck, path: Path) -> bool:
    return bool(value(path)) if callable(value) else bool(value)


def _valid_assignment(assignment: str) -> str:
    if not _ASSIGNMENT_NAME.fullmatch(assignment):
        raise ValueError(f"assignment must be a plain folder name such as 'a1', got {assignment!r}")
    return assignment


def _drive_dir(cwd: Path, home: Path, environ: Mapping[str, str], drive_dir: Path | str | None) -> Path:
    raw = str(drive_dir) if drive_dir is not None else env.text(DRIVE_DIR_ENV, environ)
    if not raw:
        return DEFAULT_DRIVE_DIR
    if raw == "~" or raw.startswith("~/"):
        return home / raw[2:]
    path = Path(raw)
    return path if path.is_absolute() else cwd / path


def plan_setup(
    assignment: str, repo_url: str, *, environment: str, cwd: Path, home: Path, package_installed: bool,
    workdir_exists: PathCheck, clone_exists: PathCheck = False, environ: Mapping[str, str] | None = None,
    drive_dir: Path | str | None = None, clone_dir: Path | None = None,
) -> SetupPlan:  # fmt: skip
    """Decide what to do; reads nothing from the process (`environ=None` means no overrides).

    `workdir_exists` / `clone_exists` are booleans or callables taking the folder. The Drive folder
    is `drive_dir`, else `$DL4CV_DRIVE_DIR` from `environ` (`~` = `home`, relative = under `cwd`),
    else `/content/drive/MyDrive/dl4cv`. `clone_dir` overrides where the course is cloned.
    """
    if environment not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {environment!r}; expected one of {ENVIRONMENTS}")
    _valid_assignment(assignment)
    if environment == "local":  # the course folder is already there; a missing package is the caller's error
        return SetupPlan("local", mount_drive=False, workdir=None, commands=(), copy_release_from=None)
    if environment == "colab":
        workdir = _drive_dir(cwd, home, environ or {}, drive_dir) / assignment
        clone = clone_dir or COLAB_CLONE_DIR
    else:
        workdir = KAGGLE_WORKING_DIR / assignment
        clone = clone_dir or KAGGLE_CLONE_DIR
    if clone == workdir or clone in workdir.parents or workdir in clone.parents:
        raise ValueError(f"the course clone {clone} must stay outside the working folder {workdir}")
    commands: list[tuple[str, ...]] = []
    copy_from = None
    if not _check(workdir_exists, workdir):
        if not _check(clone_exists, clone):
            commands.append(("git", "clone", "--depth", "1", repo_url, str(clone)))
        copy_from = clone / "release" / assignment
    if not package_installed:
        commands.append((sys.executable, "-m", "pip", "install", "-q", "git+" + repo_url))
    return SetupPlan(environment, environment == "colab", workdir, tuple(commands), copy_from)


def copy_missing(source: Path, destination: Path) -> list[Path]:
    """Copy every file of `source` into `destination` that is not there yet; return those copied.

    Existing files are never overwritten, so a student's work is never lost.
    """
    source, destination = Path(source), Path(destination)
    if not source.is_dir():
        raise FileNotFoundError(f"{source} not found: is the assignment released in the course repository?")
    copied = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        target = destination / path.relative_to(source)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied.append(target)
    destination.mkdir(parents=True, exist_ok=True)
    return copied


def mount_google_drive(mount_point: str) -> None:
    """Mount Google Drive (only works inside Colab)."""
    from google.colab import drive  # type: ignore[import-not-found]

    drive.mount(mount_point)


def headless_pictures(environ: dict | os._Environ, platform: str = sys.platform) -> None:
    """Let pygame (which draws gymnasium's CartPole) start on a Linux machine without a screen —
    a server, Colab, the grader — instead of printing an error: pictures need no screen."""
    if platform.startswith("linux") and not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        environ.setdefault("SDL_VIDEODRIVER", "dummy")


def setup_notebook(
    assignment: str, repo_url: str, *,
    environ: Mapping[str, str] | None = None, modules: Mapping[str, Any] | None = None,
    run: Callable[[list[str]], Any] = subprocess.check_call, mount: Callable[[str], Any] | None = None,
    chdir: Callable[[Path], Any] = os.chdir, copytree: Callable[[Path, Path], Any] | None = None,
    out: Callable[[str], Any] = print, package_installed: bool | None = None, clone_dir: Path | None = None,
) -> torch.device:  # fmt: skip
    """Prepare the notebook's folder for this environment, print one status line, return the device.

    `mount` defaults to mounting Google Drive, `copytree` to `copy_missing` (never overwrites);
    `package_installed=None` means "is dl4cv importable". Failing commands raise RuntimeError.
    """
    environ = os.environ if environ is None else environ
    environment = detect_environment(environ, modules)
    headless_pictures(environ)
    if package_installed is None:
        package_installed = importlib.util.find_spec("dl4cv") is not None
    if environment == "local" and not package_installed:
        raise ModuleNotFoundError(LOCAL_INSTALL_HINT)

    def make_plan() -> SetupPlan:
        return plan_setup(
            assignment, repo_url, environment=environment, cwd=Path.cwd(), home=Path.home(),
            package_installed=package_installed, workdir_exists=Path.is_dir, clone_exists=Path.is_dir,
            environ=environ, clone_dir=clone_dir,
        )  # fmt: skip

    plan = make_plan()
    if plan.mount_drive:
        (mount or mount_google_drive)(str(DRIVE_MOUNT_POINT))
        plan = make_plan()  # the working folder can only be seen once Drive is mounted
    if plan.commands or plan.copy_release_from is not None:
        out(plan.describe())  # cloning and installing take a while: say why
    for command in plan.commands:
        try:
            run(list(command))
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"`{shlex.join(command)}` failed: {NETWORK_HINT}") from error
    folder = Path.cwd()
    if plan.workdir is not None:
        if plan.copy_release_from is not None:
            (copytree or copy_missing)(plan.copy_release_from, plan.workdir)
        chdir(plan.workdir)
        folder = plan.workdir
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))  # the student's module next to the notebook imports
        importlib.invalidate_caches()

    from dl4cv.device import default_device, describe

    device = default_device()
    line = f"dl4cv ready | environment: {environment} | folder: {folder} | device: {describe(device)}"
    if device.type == "cpu":
        line += " | no GPU found: running on CPU"
        if environment in GPU_HINTS:
            line += f" ({GPU_HINTS[environment]})"
    out(line)
    return device


def setup_cell_source(assignment: str, repo_url: str) -> str:
    """The exact source of the notebook's first cell (standard library only until dl4cv imports)."""
    _valid_assignment(assignment)
    if not repo_url or any(c in repo_url for c in "\n\r"):
        raise ValueError(f"invalid course repository URL {repo_url!r}")
    first, second = (json.dumps(part) for part in _HINT_PARTS)
    return "\n".join([
        "# Run this cell first: it works locally, on Colab and on Kaggle, and prints the device it will use.",
        "import importlib, importlib.util, os, subprocess, sys",
        "",
        f"ASSIGNMENT = {json.dumps(assignment)}",
        f"COURSE_REPOSITORY = {json.dumps(repo_url)}",
        "",
        'if importlib.util.find_spec("dl4cv") is None:  # not installed yet: install it on Colab / Kaggle',
        '    on_colab = "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ or "COLAB_GPU" in os.environ',
        '    on_kaggle = "KAGGLE_KERNEL_RUN_TYPE" in os.environ or "KAGGLE_URL_BASE" in os.environ',
        "    if not (on_colab or on_kaggle):",
        f"        raise ModuleNotFoundError({first}",
        f"                                  {second})",
        '    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "git+" + COURSE_REPOSITORY])',
        "    importlib.invalidate_caches()",
        "",
        "from dl4cv.notebook_setup import setup_notebook",
        "DEVICE = setup_notebook(ASSIGNMENT, COURSE_REPOSITORY)",
    ])  # fmt: skip
