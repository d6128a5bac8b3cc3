"""Grading step 2, execute: run prepared notebooks in local worker processes or on a Dask cluster.

Each `ExecutionTask` carries its files and the kernel's environment; nothing here touches the
gradebook or the course folder, so a worker needs only the course's Python environment.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from dl4cv.course.execute import (MAX_TASK_BYTES, ExecutionTask, NotebookRun, execute_in_subprocess, execute_task,
                                  failed_run, isolation_problem)


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
