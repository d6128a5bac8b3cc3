"""`dl4cv doctor`: what notebooks and grading will run with on this machine."""

from __future__ import annotations

import platform
import sys
from pathlib import Path


def diagnose(*, root: Path) -> list[str]:
    """Human-readable lines: Python, torch and CUDA, data, the grading kernel, the gradebook."""
    import nbgrader
    import torch
    from jupyter_client.kernelspec import KernelSpecManager
    from nbgrader.coursedir import CourseDirectory

    from dl4cv import data
    from dl4cv.course.config import load_nbgrader_config
    from dl4cv.device import default_device, describe

    lines = [f"python   {platform.python_version()} ({sys.executable})", f"torch    {torch.__version__}"]
    if torch.cuda.is_available():
        lines.append(f"cuda     {torch.version.cuda}: {torch.cuda.device_count()} device(s), {torch.cuda.get_device_name(0)}")
    else:
        lines.append("cuda     not available: notebooks and grading run on the CPU")
    lines.append(f"device   {describe(default_device())}")
    try:
        lines.append(f"data     {data.load_dataset('fashion-mnist').summary().splitlines()[0]}")
    except data.DatasetNotFoundError as error:
        lines.append(f"data     Fashion-MNIST not found: {str(error).splitlines()[0]}")
    spec = KernelSpecManager().get_kernel_spec("python3")
    lines.append(f"kernel   python3 -> {spec.argv[0]} (grading pins {Path(sys.prefix) / 'share' / 'jupyter'})")
    coursedir = CourseDirectory(config=load_nbgrader_config(Path(root).resolve()))
    lines.append(f"nbgrader {nbgrader.__version__}, gradebook {coursedir.db_url}")
    return lines
