"""`dl4cv doctor`: what notebooks and grading will run with on this machine."""

from __future__ import annotations

import platform
import sys
import os
from pathlib import Path


def isolation_summary(config) -> str:
    """One line: how grading kernels are isolated here, or what is missing and what grading does."""
    from dl4cv.course.sandbox import Sandbox, probe_isolation

    isolation, settings = probe_isolation(), Sandbox(config=config)
    if isolation.level == "bwrap":
        return "isolated (bwrap): kernels see only the runtime, Python, dl4cv, the data and their own copy"
    refusal = ("grading is allowed anyway (c.Sandbox.allow_unisolated)" if settings.allow_unisolated
               else "dl4cv grade refuses to run (--allow-unisolated accepts the risk)")  # fmt: skip
    return f"NOT ISOLATED ({isolation.level}): {isolation.problem}; {refusal}"


def limits_summary(config) -> str:
    """One line: the limits in force for each graded notebook (defaults or nbgrader_config.py)."""
    from nbgrader.preprocessors import Execute

    from dl4cv.course.sandbox import Sandbox

    box, cell = Sandbox(config=config), Execute(config=config)
    return (f"notebook {box.notebook_timeout} s, cell {cell.timeout} s, memory {box.memory_mb} MiB, "
            f"{box.max_processes} processes, files up to {box.max_file_mb} MiB, "
            f"network {'on' if box.network else 'off'}")  # fmt: skip


def diagnose(*, root: Path, jobs: int | None = None) -> list[str]:
    """Human-readable lines: Python, torch and CUDA, data, the grading kernel and its isolation,
    the gradebook. `jobs` is the number of notebooks graded at once (default: the CPU cores)."""
    import nbgrader
    import torch
    from jupyter_client.kernelspec import KernelSpecManager
    from nbgrader.coursedir import CourseDirectory

    from dl4cv import data
    from dl4cv.course.config import load_nbgrader_config
    from dl4cv.course.dispatch import kernel_environment
    from dl4cv.device import default_device, describe

    lines = [f"python   {platform.python_version()} ({sys.executable})", f"torch    {torch.__version__}"]
    if torch.cuda.is_available():
        lines.append(f"cuda     {torch.version.cuda}: {torch.cuda.device_count()} device(s), {torch.cuda.get_device_name(0)}")
    else:
        lines.append("cuda     not available: notebooks and grading run on the CPU")
    lines.append(f"device   {describe(default_device())} here")
    try:
        lines.append(f"data     {data.load_dataset('fashion-mnist').summary().splitlines()[0]}")
    except data.DatasetNotFoundError as error:
        lines.append(f"data     Fashion-MNIST not found: {str(error).splitlines()[0]}")
    spec = KernelSpecManager().get_kernel_spec("python3")
    lines.append(f"kernel   python3 -> {spec.argv[0]} (grading pins {Path(sys.prefix) / 'share' / 'jupyter'})")
    jobs = max(1, jobs or os.cpu_count() or 1)
    threads = kernel_environment(jobs=jobs)["OMP_NUM_THREADS"]
    lines.append(f"grading  {jobs} kernel(s) at once (--jobs), {threads} CPU thread(s) each")
    config = load_nbgrader_config(Path(root).resolve())
    lines.append(f"sandbox  {isolation_summary(config)}")
    lines.append(f"limits   {limits_summary(config)}")
    coursedir = CourseDirectory(config=load_nbgrader_config(Path(root).resolve()))
    lines.append(f"nbgrader {nbgrader.__version__}, gradebook {coursedir.db_url}")
    return lines
