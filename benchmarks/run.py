"""`make bench`: measure and write benchmarks/RESULTS.md.

Each section stores its figures in benchmarks/results/<section>.json; RESULTS.md is rendered
from all stored sections, so one section can be re-measured alone:
`python -m benchmarks.run distances`. Sections are found, never listed: every assignment's
`assignments/<aid>/bench_<section>.py` (assignments in order, sections in name order), then the
course-wide modules of this folder (grading, sandbox, ...). Each has `TITLE`,
`measure() -> dict` and `render(figures) -> str`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click
import torch

from dl4cv.course.config import discover_assignments
from dl4cv.course.layout import benchmark_paths

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOT_SECTIONS = {"__init__", "common", "run"}


def _load_section(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"benchmarks.sections.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def find_sections() -> dict:
    """Section name -> module: each assignment's `bench_*.py`, then this folder's own."""
    sections = {}
    for assignment in discover_assignments(ROOT):
        for path in benchmark_paths(ROOT, assignment):
            name = path.stem.removeprefix("bench_")
            if name in sections:
                raise SystemExit(f"{path}: a benchmark section named {name!r} already exists")
            sections[name] = _load_section(path, name)
    for path in sorted(HERE.glob("*.py")):
        if path.stem not in NOT_SECTIONS:
            sections[path.stem] = importlib.import_module(f"benchmarks.{path.stem}")
    return sections


SECTIONS = find_sections()


def machine() -> str:
    cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, {cuda}, torch {torch.__version__}"


def render() -> str:
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run`); do not edit by hand.",
        "",
    ]
    for name, module in SECTIONS.items():
        path = HERE / "results" / f"{name}.json"
        if path.is_file():
            parts += [module.render(json.loads(path.read_text())), ""]
        else:
            parts += [f"## {module.TITLE}", "", "not measured yet", ""]
    return "\n".join(parts)


@click.command()
@click.argument("sections", nargs=-1, type=click.Choice(list(SECTIONS)))
@click.option("--render-only", is_flag=True, help="Rewrite RESULTS.md from the stored figures, measuring nothing.")
def main(sections: tuple[str, ...], render_only: bool) -> None:
    """Measure SECTIONS (default: all) and rewrite RESULTS.md."""
    for name in () if render_only else sections or SECTIONS:
        start = time.perf_counter()
        click.echo(f"== {name}")
        figures = SECTIONS[name].measure()
        figures["measured"] = {
            "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "python": sys.version.split()[0],
            "seconds": round(time.perf_counter() - start, 1),
        }
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    (HERE / "RESULTS.md").write_text(render())
    click.echo(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
