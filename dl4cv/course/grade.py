"""`dl4cv grade`: autograde every submission of an assignment, many notebooks at a time.

nbgrader's `autograde` does three things per submission: prepare (record the student and the
submission, copy support files, restore the instructor's test cells), execute the notebook, and
save the scores in the gradebook. Only execution is slow, and only saving writes the gradebook,
which SQLite lets one process write at a time. So:

1. prepare (`dl4cv.course.prepare`), serially, with nbgrader's own `Autograde` minus its
   execution step;
2. execute (`dl4cv.course.dispatch`) the prepared notebooks in parallel, in local worker
   processes or on a Dask cluster (each task carries its files; no gradebook writes there);
3. save (`dl4cv.course.save`) each executed notebook's scores from this process, as results
   arrive, with nbgrader's own `SaveAutoGrades` and `AssignLatePenalties`.

The scores are the ones serial `nbgrader autograde` records; a test compares the two. One
deliberate difference: when a kernel dies, nbgrader drops the whole notebook and stops with an
error, while here the cells that ran keep their scores, the cells that did not run score zero,
the reason is reported, and the batch goes on.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from dl4cv.course.config import load_nbgrader_config, require_assignment
from dl4cv.course.dispatch import check_cluster, kernel_environment, run_tasks
from dl4cv.course.execute import NotebookRun, pack_task
from dl4cv.course.prepare import SubmissionResult, prepare_submissions, submitted_students
from dl4cv.course.runcache import RunCache, run_key
from dl4cv.course.save import save_scores

#: The end of every status of a run whose kernels could read and write the machine's files.
UNISOLATED_MARK = " [UNISOLATED: kernels were not isolated from the machine's files]"


def grading_isolation(*, root: Path, allow_unisolated: bool = False, config=None) -> str:
    """The isolation grading the course at `root` would use here; raises `UnisolatedError` (with
    the fix) when kernels cannot be isolated and neither `allow_unisolated` nor the course's
    `c.Sandbox.allow_unisolated` accepts that."""
    from dl4cv.course.sandbox import Sandbox, check_isolation

    settings = Sandbox(config=config if config is not None else load_nbgrader_config(Path(root)))
    settings.allow_unisolated = settings.allow_unisolated or allow_unisolated
    return check_isolation(settings)


def _runs(tasks: list, *, jobs: int, scheduler: str | None, cache: RunCache | None) -> Iterator[NotebookRun]:
    """`run_tasks`, with stored runs taken from `cache` and new clean runs stored in it. Without
    isolation no cache is used: a kernel that can read everything could read the cache too."""
    if cache is None:
        yield from run_tasks(tasks, jobs=jobs, scheduler=scheduler)
        return
    keys, pending = {}, []
    for task in tasks:
        key = run_key(task)
        stored = cache.get(task, key)
        if stored is not None:
            yield stored
        else:
            keys[task.path] = key
            pending.append(task)
    for run in run_tasks(pending, jobs=jobs, scheduler=scheduler):
        cache.put(keys[run.path], run)
        yield run


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
    cache: RunCache | None = None,
) -> list[SubmissionResult]:
    """Autograde `assignment` for `students` (default: everyone in submitted/) in parallel.

    `jobs` worker processes execute notebooks (default: the number of cores), or, with
    `scheduler` (a Dask scheduler address such as `tcp://10.0.0.5:8786`), the cluster's workers
    do. Scores go into `gradebook` (an SQLAlchemy URL), by default the course's. Returns one
    `SubmissionResult` per student, in the order of `students`.

    With `cache`, a notebook whose every input is unchanged since a stored run (see
    `dl4cv.course.runcache`) is not executed again: the stored run is scored instead.

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

    def save(run) -> None:
        save_scores(run, config=config, db_url=db_url)

    results, pending = prepare_submissions(api, root=root, assignment=assignment, students=students, save=save,
                                           progress=progress)  # fmt: skip
    if progress:
        from dl4cv.course.sandbox import Sandbox, describe

        tqdm.write(describe(Sandbox(config=config)))
    from dl4cv.course.sandbox import MPL_CACHE_ENV, warm_matplotlib_cache

    env = kernel_environment(jobs=jobs)
    env[MPL_CACHE_ENV] = str(warm_matplotlib_cache())
    tasks = [pack_task(Path(path), config=config, env=env) for path in pending]
    runs = _runs(tasks, jobs=jobs, scheduler=scheduler, cache=cache if isolation == "bwrap" else None)
    for run in tqdm(runs, total=len(tasks), desc=f"grade {assignment}", disable=not progress):
        result = results[run.student]
        result.seconds += run.seconds
        result.notebooks.append(run.notebook)
        try:
            save(run)
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
