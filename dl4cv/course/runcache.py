"""Reusing notebook runs whose every input is unchanged: what makes re-proving a simulated class
(or re-grading after one late submission) take seconds instead of a notebook run per student.

A run's key is a SHA-256 of everything the kernel can see or that shapes what it does:

- the prepared submission folder, byte for byte (the student's notebook with the instructor's
  locked and hidden-test cells restored, their modules, the support files);
- the execution settings (timeouts, output limits, sandbox options) and the kernel's environment;
- the software: every file of the `dl4cv` package (the kernels import it), the name and version of
  every installed distribution, Python's version, the machine's architecture, and the GPUs torch
  sees;
- the data files (names, sizes and modification times).

Only runs that finished without a problem are stored: a timeout or a dead kernel depends on how
busy the machine was, so it is always run again. The cache lives outside everything a grading
kernel may read (`readable_folders`): it holds hidden tests and other students' outputs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from dl4cv import env
from dl4cv.course.execute import ExecutionTask, NotebookRun, readable_folders

CACHE_ENV = "DL4CV_RUN_CACHE"
# Settings sections that shape an execution; the rest of the nbgrader config (course folder,
# gradebook URL) differs between copies of the same course and changes nothing in a kernel.
EXECUTION_SECTIONS = ("Execute", "LimitOutput", "IgnorePattern", "ClearMetadataPreprocessor", "Sandbox",
                      "SandboxedKernelManager", "ExecutePreprocessor", "NbGraderPreprocessor")  # fmt: skip
MAX_AGE_DAYS = 30


def cache_from_env() -> RunCache | None:
    """The run cache `$DL4CV_RUN_CACHE` names (a folder), by default `~/.cache/dl4cv/runs`; None
    when it is "off"."""
    return None if env.text(CACHE_ENV).strip().lower() == "off" else RunCache()


def default_cache_dir() -> Path:
    """`$DL4CV_RUN_CACHE`, else `$XDG_CACHE_HOME/dl4cv/runs` (`~/.cache/dl4cv/runs`)."""
    if env.text(CACHE_ENV).strip():
        return Path(env.text(CACHE_ENV).strip()).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dl4cv" / "runs"


def _hash_tree(folder: Path, digest, *, contents: bool) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        if contents:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            stat = path.stat()
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())


@functools.lru_cache(maxsize=1)
def software_fingerprint() -> str:
    """What the kernels run on: the dl4cv package's files, installed distributions, Python, the
    machine's architecture and GPUs. Computed once per process."""
    import importlib.metadata

    import dl4cv

    digest = hashlib.sha256()
    _hash_tree(Path(dl4cv.__file__).parent, digest, contents=True)
    distributions = sorted({f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()})
    digest.update("\n".join(distributions).encode())
    digest.update(f"{sys.version}|{platform.machine()}|{platform.system()}".encode())
    digest.update(_gpus().encode())
    return digest.hexdigest()


def _gpus() -> str:
    try:
        import torch

        if not torch.cuda.is_available():
            return "no gpu"
        return ";".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    except Exception as error:  # a broken driver is a fingerprint too
        return f"gpu query failed: {type(error).__name__}"


def data_fingerprint() -> str:
    """The files of the data root and of the system's Fashion-MNIST folder, by name, size and
    modification time (hashing their contents would take longer than some runs)."""
    from dl4cv import data

    digest = hashlib.sha256()
    for root in (data.data_root(), *data.FASHION_MNIST_SYSTEM_DIRS):
        digest.update(str(root).encode() + b"\0")
        if root.is_dir():
            _hash_tree(root, digest, contents=False)
    return digest.hexdigest()


def run_key(task: ExecutionTask) -> str:
    """The SHA-256 that names `task`'s run in the cache (see the module's docstring)."""
    digest = hashlib.sha256()
    for name in sorted(task.files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(task.files[name]).digest())
    settings = {section: task.config.get(section) for section in EXECUTION_SECTIONS if section in task.config}
    digest.update(json.dumps(settings, sort_keys=True, default=repr).encode())
    # Where the Python environment lies changes nothing a kernel computes (outputs name it <python>),
    # and two clones of the course have theirs in different folders.
    kernel_env = {name: value.replace(sys.prefix, "<python>") for name, value in task.env.items()}
    digest.update(json.dumps(kernel_env, sort_keys=True).encode())
    digest.update(f"{task.assignment}/{task.notebook}".encode())
    digest.update(software_fingerprint().encode())
    digest.update(data_fingerprint().encode())
    return digest.hexdigest()


class RunCache:
    """Finished runs by key, one pickle file each, in `folder` (created private to this user)."""

    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        readable = [Path(f).resolve() for f in readable_folders()]
        where = self.folder.expanduser().resolve()
        exposed = [str(f) for f in readable if where.is_relative_to(f)]
        if exposed:
            raise ValueError(f"the run cache {where} lies inside {exposed[0]}, which grading kernels can read; "
                             "it holds hidden tests, so put it elsewhere")  # fmt: skip
        self.hits = 0

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, task: ExecutionTask, key: str) -> NotebookRun | None:
        """The stored run of `task`, renamed to its student and path, or None."""
        path = self._path(key)
        try:
            run = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            return None
        if not isinstance(run, NotebookRun) or run.problem:
            return None
        self.hits += 1
        os.utime(path)  # recently used: kept by `prune`
        return replace(run, student=task.student, path=task.path)

    def put(self, key: str, run: NotebookRun) -> None:
        """Store a run that finished without a problem (others are not stored)."""
        if run.problem or run.notebook_json is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.folder.chmod(0o700)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:  # atomic: no half-written runs
            handle.write(pickle.dumps(run))
        os.replace(handle.name, path)

    def prune(self, max_age_days: float = MAX_AGE_DAYS) -> int:
        """Delete runs not used for `max_age_days`; returns how many."""
        cutoff = time.time() - max_age_days * 86400
        removed = 0
        for path in self.folder.glob("*/*.pickle"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
