"""`dl4cv grade`: autograde every submission of an assignment, many notebooks at a time.

nbgrader's `autograde` does three things per submission: prepare (record the student and the
submission, copy support files, restore the instructor's test cells), execute the notebook, and
save the scores in the gradebook. Only execution is slow, and only saving writes the gradebook,
which SQLite lets one process write at a time. So:

1. prepare, serially, with nbgrader's own `Autograde` minus its execution step;
2. execute the prepared notebooks in parallel, in local worker processes or on a Dask cluster
   (`dl4cv.course.execute`: each task carries its files; no gradebook writes there);
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
import stat
import sys
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from tqdm.auto import tqdm

from dl4cv.course.config import load_nbgrader_config, require_assignment, tool_environment
from dl4cv.course.execute import (MAX_TASK_BYTES, ExecutionTask, NotebookRun, execute_in_subprocess, execute_task,
                                  failed_run, isolation_problem, pack_task)
from dl4cv.course.modules import student_modules
from dl4cv.course.repair import repair_submission


#: The end of every status of a run whose kernels could read and write the machine's files.
UNISOLATED_MARK = " [UNISOLATED: kernels were not isolated from the machine's files]"


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


#: Variables a grading kernel inherits from the grader; everything else of the grader's environment
#: (its folder, the gradebook URL and its password, tokens, the virtualenv's name) stays out.
KERNEL_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "DL4CV_DEVICE", "DL4CV_DATASET", "CUDA_VISIBLE_DEVICES",
                    "CUDA_DEVICE_ORDER")  # fmt: skip


def kernel_environment(*, jobs: int, cores: int | None = None) -> dict[str, str]:
    """Environment for grading kernels: fast mode, offline, a fair share of threads each.

    Built from nothing but `KERNEL_VARIABLES`, so a kernel learns no path of the grader's from it.
    Pins the kernel spec search path to this interpreter's own `share/jupyter`, so a stray
    `python3` kernel elsewhere on the machine cannot take over grading; names the data root
    explicitly, as the kernel's `$HOME` is a private empty folder.
    """
    from dl4cv.data import data_root

    cores = cores or os.cpu_count() or 1
    threads = str(max(1, cores // max(1, jobs)))
    env = {name: os.environ[name] for name in KERNEL_VARIABLES if name in os.environ}
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        HOME="/tmp",
        DL4CV_FAST="1",
        DL4CV_OFFLINE="1",
        DL4CV_DATA=str(data_root()),
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


DASK_CONNECT_TIMEOUT = "30s"


def run_tasks(tasks: list[ExecutionTask], *, jobs: int, scheduler: str | None = None) -> Iterator[NotebookRun]:
    """Execute `tasks`, yielding each run as it finishes (in no fixed order).

    Locally: `jobs` spawned worker processes. With `scheduler`: a Dask cluster, whose workers
    receive each task's files with the task and need only the course's Python environment.
    A task too large to send, or one whose worker was lost, comes back as a failed run.
    """
    sendable = []
    for task in tasks:
        if task.size > MAX_TASK_BYTES:
            yield failed_run(task, f"the submission folder holds {task.size >> 20} MiB, over {MAX_TASK_BYTES >> 20} MiB")
        else:
            sendable.append(task)
    if scheduler:
        yield from _run_on_dask(sendable, scheduler)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(execute_task, task): task for task in sendable}
        for future in as_completed(futures):
            yield _outcome(future, futures[future])


def _outcome(future, task: ExecutionTask) -> NotebookRun:
    try:
        return future.result()
    except Exception as error:  # a worker process died under the task: that notebook scores zero
        return failed_run(task, f"the grading worker failed: {type(error).__name__}: {error}".strip())


def dask_client(scheduler: str):
    """A Dask client connected to `scheduler`, or a clear error saying why there is none."""
    try:
        from distributed import Client
    except ImportError as error:
        raise RuntimeError("--scheduler needs Dask: pip install 'dl4cv[course]' (it brings `distributed`)") from error
    try:
        return Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except OSError as error:
        raise OSError(f"could not connect to the Dask scheduler at {scheduler}: {error}") from error


def _run_on_dask(tasks: list[ExecutionTask], scheduler: str) -> Iterator[NotebookRun]:
    from distributed import as_completed as dask_completed

    with dask_client(scheduler) as client:
        # pure=False: two students' identical files are still two executions; retries=0: a task
        # that kills its worker is not run again on the next one.
        futures = {client.submit(execute_on_dask_worker, task, pure=False, retries=0): task for task in tasks}
        for future in dask_completed(futures):
            yield _outcome(future, futures[future])
            future.release()


def check_cluster(scheduler: str, *, config) -> None:
    """Raise `UnisolatedError` if a worker of the cluster cannot isolate kernels (and the config
    does not accept that), naming the workers; raise `OSError` if the cluster is out of reach."""
    from dl4cv.course.sandbox import UnisolatedError

    with dask_client(scheduler) as client:
        problems = {worker: problem for worker, problem in client.run(isolation_problem, dict(config)).items() if problem}
    if problems:
        worker, problem = next(iter(sorted(problems.items())))
        raise UnisolatedError(f"{len(problems)} Dask worker(s) cannot isolate kernels, e.g. {worker}: {problem}")


def execute_on_dask_worker(task: ExecutionTask) -> NotebookRun:
    """What a Dask worker runs: the task in a fresh process, with that worker's share of threads."""
    from distributed import get_worker

    worker = get_worker()
    threads = str(max(1, (os.cpu_count() or 1) // max(1, worker.state.nthreads)))
    task.env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    return execute_in_subprocess(task)


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


def grading_isolation(*, root: Path, allow_unisolated: bool = False, config=None) -> str:
    """The isolation grading the course at `root` would use here; raises `UnisolatedError` (with
    the fix) when kernels cannot be isolated and neither `allow_unisolated` nor the course's
    `c.Sandbox.allow_unisolated` accepts that."""
    from dl4cv.course.sandbox import Sandbox, check_isolation

    settings = Sandbox(config=config if config is not None else load_nbgrader_config(Path(root)))
    settings.allow_unisolated = settings.allow_unisolated or allow_unisolated
    return check_isolation(settings)


def grade_assignment(
    *,
    root: Path,
    assignment: str,
    students: list[str] | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    allow_unisolated: bool = False,
    progress: bool = True,
    gradebook: str | None = None,
) -> list[SubmissionResult]:
    """Autograde `assignment` for `students` (default: everyone in submitted/) in parallel.

    `jobs` worker processes execute notebooks (default: the number of cores), or, with
    `scheduler` (a Dask scheduler address such as `tcp://10.0.0.5:8786`), the cluster's workers
    do. Scores go into `gradebook` (an SQLAlchemy URL), by default the course's. Returns one
    `SubmissionResult` per student, in the order of `students`.

    Raises `UnisolatedError` before touching anything when kernels cannot be isolated (here, or on
    a cluster worker), unless `allow_unisolated` (or `c.Sandbox.allow_unisolated`) accepts the
    risk; then every status ends with `UNISOLATED_MARK`. Raises `CourseError` for an unknown
    assignment.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.api import Gradebook, MissingEntry

    from dl4cv.course.release import release_assignment

    root = Path(root).resolve()
    require_assignment(root, assignment)
    jobs = max(1, jobs or os.cpu_count() or 1)
    os.environ["PATH"] = tool_environment()["PATH"]
    config = load_nbgrader_config(root, gradebook=gradebook, Autograde={"autograde_preprocessors": []})
    if allow_unisolated:
        config.Sandbox.allow_unisolated = True
    isolation = grading_isolation(root=root, config=config)
    if scheduler:  # fail before preparing anything if the cluster is out of reach or cannot isolate
        check_cluster(scheduler, config=config)
    api = NbGraderAPI(config=config)
    db_url = api.coursedir.db_url
    with Gradebook(db_url, api.coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            release_assignment(root=root, assignment=assignment, gradebook=gradebook)

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
    tasks = []
    for path in pending:
        task = pack_task(Path(path), config=config, env=env)
        tasks.append(task)
    runs = run_tasks(tasks, jobs=jobs, scheduler=scheduler)
    for run in tqdm(runs, total=len(tasks), desc=f"grade {assignment}", disable=not progress):
        result = results[run.student]
        result.seconds += run.seconds
        result.notebooks.append(run.notebook)
        try:
            _save_scores(run, config=config, db_url=db_url)
        except Exception:
            run.problem = run.problem or "could not save scores: " + traceback.format_exc().strip().splitlines()[-1]
        if run.problem:
            result.status = f"{run.notebook}: {run.problem}"
    if isolation != "bwrap":
        for result in results.values():
            result.status += UNISOLATED_MARK
    from dl4cv.course.report import save_statuses

    save_statuses(root=root, assignment=assignment, statuses={s: results[s].status for s in students})
    return [results[s] for s in students]
