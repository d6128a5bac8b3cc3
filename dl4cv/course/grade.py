"""`dl4cv grade`: autograde every submission of an assignment, many notebooks at a time.

nbgrader's `autograde` does three things per submission: prepare (record the student and the
submission, copy support files, restore the instructor's test cells), execute the notebook, and
save the scores in the gradebook. Only execution is slow, and only saving writes the gradebook,
which SQLite lets one process write at a time. So:

1. prepare, serially, with nbgrader's own `Autograde` minus its execution step;
2. execute the prepared notebooks in parallel worker processes (no gradebook writes there);
3. save each executed notebook's scores from this process, as results arrive, with nbgrader's
   own `SaveAutoGrades` and `AssignLatePenalties`.

The scores are the ones serial `nbgrader autograde` records; a test compares the two. One
deliberate difference: when a kernel dies, nbgrader drops the whole notebook and stops with an
error, while here the cells that ran keep their scores, the cells that did not run score zero,
the reason is reported, and the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from tqdm.auto import tqdm

from dl4cv.course.config import load_nbgrader_config, tool_environment
from dl4cv.course.modules import student_modules
from dl4cv.course.repair import repair_submission


@dataclass
class NotebookRun:
    """One executed notebook, as a worker hands it back."""

    student: str
    assignment: str
    notebook: str
    path: str
    seconds: float
    notebook_json: str | None = None
    problem: str | None = None  # why execution stopped early, if it did


@dataclass
class SubmissionResult:
    """How grading one student's submission went."""

    student: str
    assignment: str
    status: str = "graded"  # "graded", or a one-line reason it could not be fully graded
    seconds: float = 0.0
    notebooks: list[str] = field(default_factory=list)


def submitted_students(*, root: Path, assignment: str) -> list[str]:
    """Students with a `submitted/<student>/<assignment>/` folder, sorted."""
    submitted = Path(root) / "submitted"
    return sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())


def kernel_environment(*, jobs: int, cores: int | None = None) -> dict[str, str]:
    """Environment for grading kernels: fast mode, offline, a fair share of threads each.

    Pins the kernel spec search path to this interpreter's own `share/jupyter`, so a stray
    `python3` kernel elsewhere on the machine cannot take over grading.
    """
    cores = cores or os.cpu_count() or 1
    threads = str(max(1, cores // max(1, jobs)))
    env = tool_environment()
    env.update(
        DL4CV_FAST="1",
        DL4CV_OFFLINE="1",
        MPLBACKEND="Agg",
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
        JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    return env


# --------------------------------------------------------------------------- phase 1: prepare


def remove_links(folder: Path) -> list[str]:
    """Delete every symbolic link in a submission (nbgrader would copy what they point at, which
    could be anything on the grading machine); returns their paths relative to `folder`."""
    links = sorted(p for p in Path(folder).rglob("*") if p.is_symlink())
    for link in links:
        link.unlink()
    return [str(link.relative_to(folder)) for link in links]


def scan_for_tampering(*, prepared: Path, source: Path) -> list[str]:
    """Findings of `dl4cv.course.tamper` in a prepared submission's student-written code: its
    Python files (except the instructor's, which nbgrader copied in) and its solution cells."""
    from dl4cv.course.tamper import scan_submission

    files = {}
    for path in sorted(prepared.rglob("*.py")):
        original = source / path.relative_to(prepared)
        if not (original.is_file() and original.read_bytes() == path.read_bytes()):
            files[str(path.relative_to(prepared))] = path.read_text(encoding="utf-8", errors="replace")
    cells = {}
    for path in sorted(prepared.glob("*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # nbgrader already refused unreadable notebooks
            continue
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                cells[f"{path.name} cell {meta.get('grade_id', index)}"] = cell.source
    return [str(finding) for finding in scan_submission(python_files=files, solution_cells=cells)]


def _zero_graded(nb: NotebookNode, reason: str) -> None:
    """Every graded test cell scores zero, with `reason` as its error."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            cell.outputs = [nbformat.v4.new_output("error", ename="NotScored", evalue=reason, traceback=[f"NotScored: {reason}"])]


def _prepare(api, *, assignment: str, student: str) -> str | None:
    """nbgrader's autograde without execution; returns an error line, or None on success."""
    result = api.autograde(assignment, student, force=True, create=True)
    if result["success"]:
        return None
    lines = [ln for ln in (result.get("error") or result.get("log") or "").strip().splitlines() if ln.strip()]
    return "could not prepare the submission: " + (lines[-1] if lines else "unknown nbgrader error")


# --------------------------------------------------------------------------- phase 2: execute


def _mark_not_run(nb: NotebookNode, reason: str, *, running: int | None = None) -> None:
    """Give every graded cell that never finished an error, so it scores zero instead of full marks.

    `running` is the index of the cell that was executing when the kernel stopped: it counts as
    not run even though it had started.
    """
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        unfinished = cell.get("execution_count") is None or index == running
        if cell.cell_type == "code" and meta.get("grade") and unfinished:
            cell.outputs = [
                nbformat.v4.new_output("error", ename="NotRun", evalue=reason, traceback=[f"NotRun: {reason}"])
            ]


def execute_notebook(path: str, root: str, env: dict[str, str], overrides: dict | None = None) -> NotebookRun:
    """Worker: execute one prepared notebook in the sandbox with nbgrader's execution steps.

    The notebook runs in a fresh copy of its folder outside the course (see `dl4cv.course.sandbox`);
    only the executed notebook comes back. Never raises: a crash or a broken limit is reported in
    `problem`, and cells that did not run are marked so they cannot score. `overrides` are config
    values on top of nbgrader_config.py, e.g. `{"Sandbox": {"memory_mb": 512}}`.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import Execute, IgnorePattern, LimitOutput

    from dl4cv.course.sandbox import SandboxedKernelManager, take_violation

    os.environ.clear()
    os.environ.update(env)
    # Kernels inherit this worker's stderr; their start-up chatter is noise in the grader's output.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    notebook_path = Path(path)
    run = NotebookRun(
        student=notebook_path.parents[1].name,
        assignment=notebook_path.parent.name,
        notebook=notebook_path.stem,
        path=path,
        seconds=0.0,
    )
    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="dl4cv-grade-") as scratch:
        workdir = Path(scratch) / run.assignment
        # symlinks=True copies links as links: inside the sandbox they point at nothing.
        shutil.copytree(notebook_path.parent, workdir, symlinks=True)
        config = load_nbgrader_config(Path(root), **(overrides or {}), SandboxedKernelManager={
            "workdir": str(workdir), "hidden": [str(Path(root).resolve())], "exposed": _exposed(Path(root))})
        resources = {"metadata": {"path": str(workdir)}}
        running: dict[str, int] = {}
        try:
            for step in (Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput):
                preprocessor = step(config=config)
                if step is Execute:
                    preprocessor.kernel_manager_class = SandboxedKernelManager
                    preprocessor.on_cell_execute = lambda cell, cell_index: running.update(index=cell_index)
                nb, resources = preprocessor(nb, resources)
        except Exception as error:  # kernel death, unresponsive kernel, broken notebook: record it
            message = str(error).strip().splitlines()[0] if str(error).strip() else ""
            run.problem = take_violation(workdir, wait=1.0) or f"{type(error).__name__}: {message}"
            _mark_not_run(nb, f"the notebook stopped before this cell finished ({run.problem})",
                          running=running.get("index"))
        else:
            run.problem = take_violation(workdir)
    run.seconds = time.perf_counter() - start
    run.notebook_json = nbformat.writes(nb)
    return run


def _exposed(root: Path) -> list[str]:
    """Folders a kernel needs, re-bound read-only inside the sandbox: the Python environment, the
    interpreter it was made from, the dl4cv package and `$DL4CV_DATA`. They may lie inside the
    course folder or under /tmp (a CI checkout), both of which the sandbox hides."""
    import dl4cv

    root = root.resolve()
    needed = [Path(sys.prefix), Path(sys.base_prefix), Path(dl4cv.__file__).parent]
    if os.environ.get("DL4CV_DATA"):
        needed.append(Path(os.environ["DL4CV_DATA"]).expanduser())
    folders = [p.resolve() for p in needed if p.exists()]
    return sorted({str(p) for p in folders if not root.is_relative_to(p)})


# --------------------------------------------------------------------------- phase 3: save


def only_errors_decide(nb: NotebookNode) -> NotebookNode:
    """Make a graded test cell score full marks unless it raised, and zero if it did.

    nbgrader reads a number shown as the cell's result as partial credit, and any text on stderr
    as failure. Student code runs inside test cells, so it could show a fake score (e.g. calling
    `sys.displayhook(12)` before failing) or lose points for a harmless warning. Our test cells
    never end in a value, so results become plain displays and stderr becomes ordinary output.
    """
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            continue
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.output_type = "display_data"
                output.pop("execution_count", None)
            elif output.output_type == "stream" and output.name == "stderr":
                output.name = "stdout"
    return nb


def _save_scores(run: NotebookRun, *, config, db_url: str) -> None:
    """Write the executed notebook into autograded/ and record its scores in the gradebook."""
    from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades

    nb = only_errors_decide(nbformat.reads(run.notebook_json, as_version=4))
    resources = {
        "nbgrader": {"student": run.student, "assignment": run.assignment, "notebook": run.notebook, "db_url": db_url}
    }
    for step in (SaveAutoGrades, AssignLatePenalties, CheckCellMetadata):
        nb, resources = step(config=config)(nb, resources)
    path = Path(run.path)
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IWUSR)
    nbformat.write(nb, str(path))
    path.chmod(mode)


# --------------------------------------------------------------------------- the whole job


def grade_assignment(
    *,
    root: Path,
    assignment: str,
    students: list[str] | None = None,
    jobs: int | None = None,
    progress: bool = True,
) -> list[SubmissionResult]:
    """Autograde `assignment` for `students` (default: everyone in submitted/) in parallel.

    `jobs` worker processes execute notebooks (default: the number of cores). Returns one
    `SubmissionResult` per student, in the order of `students`.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.api import Gradebook, MissingEntry

    from dl4cv.course.release import release_assignment

    root = Path(root).resolve()
    jobs = max(1, jobs or os.cpu_count() or 1)
    os.environ["PATH"] = tool_environment()["PATH"]
    config = load_nbgrader_config(root, Autograde={"autograde_preprocessors": []})
    api = NbGraderAPI(config=config)
    db_url = api.coursedir.db_url
    with Gradebook(db_url, api.coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            release_assignment(root=root, assignment=assignment)

    students = list(students) if students is not None else submitted_students(root=root, assignment=assignment)
    results = {s: SubmissionResult(student=s, assignment=assignment) for s in students}
    pending: list[str] = []
    released = {p.stem for p in (root / "release" / assignment).glob("*.ipynb")}
    module_names = [p.name for p in student_modules(root / "source" / assignment)]
    for student in tqdm(students, desc=f"prepare {assignment}", disable=not progress):
        links = remove_links(root / "submitted" / student / assignment)
        repairs = repair_submission(submission=root / "submitted" / student / assignment, release=root / "release" / assignment,
                                    modules=module_names)  # fmt: skip
        problem = _prepare(api, assignment=assignment, student=student)
        if problem:
            results[student].status = problem
            continue
        prepared = sorted((root / "autograded" / student / assignment).glob("*.ipynb"))
        findings = scan_for_tampering(prepared=root / "autograded" / student / assignment, source=root / "source" / assignment)
        if findings:
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            results[student].status = f"tampering suspected, scored zero for review: {findings[0]}{more}"
            for path in prepared:  # not executed: every test cell scores zero and says why
                nb = nbformat.read(str(path), as_version=4)
                _zero_graded(nb, results[student].status)
                run = NotebookRun(student, assignment, path.stem, str(path), 0.0, nbformat.writes(nb))
                _save_scores(run, config=config, db_url=db_url)
            continue
        missing = sorted(released - {p.stem for p in prepared})
        notes = [f"not handed in: {', '.join(missing)}"] if missing else []
        notes += [f"links removed: {', '.join(links)}"] if links else []
        notes += repairs
        if notes:
            results[student].status = "graded; " + "; ".join(notes)
        pending += [str(p) for p in prepared]

    if progress:
        from dl4cv.course.sandbox import Sandbox, describe

        tqdm.write(describe(Sandbox(config=config)))
    from dl4cv.course.sandbox import MPL_CACHE_ENV, warm_matplotlib_cache

    env = kernel_environment(jobs=jobs)
    env[MPL_CACHE_ENV] = str(warm_matplotlib_cache())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(execute_notebook, path, str(root), env) for path in pending]
        for future in tqdm(as_completed(futures), total=len(futures), desc=f"grade {assignment}", disable=not progress):
            run = future.result()
            result = results[run.student]
            result.seconds += run.seconds
            result.notebooks.append(run.notebook)
            try:
                _save_scores(run, config=config, db_url=db_url)
            except Exception:
                run.problem = run.problem or "could not save scores: " + traceback.format_exc().strip().splitlines()[-1]
            if run.problem:
                result.status = f"{run.notebook}: {run.problem}"
    from dl4cv.course.report import save_statuses

    save_statuses(root=root, assignment=assignment, statuses={s: results[s].status for s in students})
    return [results[s] for s in students]
