"""`make bench`: measure and write benchmarks/RESULTS.md.

Each section stores its figures in benchmarks/results/<section>.json; RESULTS.md is rendered
from all stored sections, so one section can be re-measured alone:
`python -m benchmarks.run distances`. Sections are the modules named in `ORDER` that exist in
this folder; each has `TITLE`, `measure() -> dict` and `render(figures) -> str`.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click
import torch

HERE = Path(__file__).resolve().parent
ORDER = [
    "pytorch_basics", "logistic_regression",
    "distances", "knn_accuracy", "linear_classifier", "two_layer_net", "features",
    "fc_net", "batch_normalization", "dropout", "conv_speed", "convnets", "pytorch_models",
    "grading", "grading_scale", "sandbox",
]  # fmt: skip
SECTIONS = {name: importlib.import_module(f"benchmarks.{name}") for name in ORDER if (HERE / f"{name}.py").is_file()}


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
def main(sections: tuple[str, ...]) -> None:
    """Measure SECTIONS (default: all) and rewrite RESULTS.md."""
    for name in sections or SECTIONS:
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
