"""kNN distance kernels at full size (5000 training × 500 test images, 784-D), as ratios.

The two-loop and one-loop versions would take minutes at full size, so they are timed on a
slice and scaled per pair of images (two loops) or per test image (one loop).
"""

from __future__ import annotations

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv.testing import best_time

TITLE = "a1 kNN distance kernels"
NUM_TRAIN, NUM_TEST, DIM = 5000, 500, 784


def measure() -> dict:
    knn = reference_module("a1", "knn")
    gen = torch.Generator().manual_seed(0)
    x_train = torch.randint(0, 256, (NUM_TRAIN, DIM), generator=gen).float()
    x_test = torch.randint(0, 256, (NUM_TEST, DIM), generator=gen).float()
    figures: dict = {"size": [NUM_TRAIN, NUM_TEST, DIM], "threads": {}}
    for threads in (1, torch.get_num_threads()):
        two_slice = (500, 50)
        t_two = best_time(lambda: knn.compute_distances_two_loops(x_train[:500], x_test[:50]), repeats=1, threads=threads)
        t_two *= (NUM_TRAIN * NUM_TEST) / (two_slice[0] * two_slice[1])
        t_one = best_time(lambda: knn.compute_distances_one_loop(x_train, x_test[:25]), repeats=1, threads=threads)
        t_one *= NUM_TEST / 25
        t_none = best_time(lambda: knn.compute_distances_no_loops(x_train, x_test), repeats=3, threads=threads)
        t_cdist = best_time(lambda: torch.cdist(x_test, x_train) ** 2, repeats=3, threads=threads)
        figures["threads"][str(threads)] = {
            "two_loops_s": t_two, "one_loop_s": t_one, "no_loops_s": t_none, "cdist_s": t_cdist,
        }  # fmt: skip
    return figures


def render(figures: dict) -> str:
    n_train, n_test, dim = figures["size"]
    lines = [
        f"## {TITLE}",
        "",
        f"Squared distances between {n_test} test and {n_train} training images of {dim} values "
        "(reference solution, float32, CPU). Two loops are timed on 500×50 and one loop on 25 test "
        "images, then scaled to full size. Speed-up is relative to two loops in the same run.",
        "",
        "| threads | two loops | one loop | no loops | `torch.cdist` ** 2 | no loops vs two loops | no loops vs one loop | no loops vs cdist |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for threads, t in figures["threads"].items():
        lines.append(
            f"| {threads} | {t['two_loops_s']:.1f} s | {t['one_loop_s']:.2f} s | {t['no_loops_s'] * 1e3:.0f} ms | "
            f"{t['cdist_s'] * 1e3:.0f} ms | {t['two_loops_s'] / t['no_loops_s']:,.0f}× | "
            f"{t['one_loop_s'] / t['no_loops_s']:,.0f}× | {t['cdist_s'] / t['no_loops_s']:.2f}× |"
        )
    return "\n".join(lines + ["", "The a1 speed rule asks for ≥ 50× over two loops.", "", measured_line(figures)])
