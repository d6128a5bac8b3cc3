"""a0 pytorch_basics: the batched matrix product with a Python loop, by broadcasting (the
reference `batched_matmul`) and by `torch.bmm`, at three batch shapes, with one torch thread and
with all of them; then one large matrix product on the CPU and, where there is one, the GPU.

The loop-free version wins by orders of magnitude on many small matrices, where the loop's cost is
Python overhead, and loses on a few large ones, where its (B, N, M, P) temporary dominates: the
notebook's inline question asks why. There is no accuracy bar; the figures back the notebook's
speed check (loop-free at least 8x faster than the loop at B=10000, (3x5) @ (5x4), one thread).
"""

from __future__ import annotations

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv.testing import best_time

TITLE = "a0 batched matrix multiply, CPU and GPU"
SHAPES = [(10000, 3, 5, 4), (1000, 16, 16, 16), (8, 128, 128, 128)]  # (B, N, M, P)
TEST_SHAPE, TEST_THRESHOLD = SHAPES[0], 8
MATMUL_SIZES = (1024, 2048)


def _batched(pb, threads: int) -> dict[str, dict[str, float]]:
    gen = torch.Generator().manual_seed(0)
    rows = {}
    for bsz, n, m, p in SHAPES:
        a, b = torch.randn(bsz, n, m, generator=gen), torch.randn(bsz, m, p, generator=gen)
        rows[f"{bsz}x({n}x{m})@({m}x{p})"] = {
            "loop_s": best_time(lambda: pb.batched_matmul_loop(a, b), repeats=3, threads=threads),
            "no_loop_s": best_time(lambda: pb.batched_matmul(a, b), repeats=5, threads=threads),
            "bmm_s": best_time(lambda: torch.bmm(a, b), repeats=5, threads=threads),
        }
    return rows


def _matmul(size: int, device: torch.device) -> float:
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    return best_time(lambda: a @ b, repeats=3, threads=None)


def measure() -> dict:
    pb = reference_module("a0", "pytorch_basics")
    threads = sorted({1, torch.get_num_threads()})
    figures: dict = {"batched": {str(t): _batched(pb, t) for t in threads}, "matmul": {}}
    for size in MATMUL_SIZES:
        row = {"cpu_s": _matmul(size, torch.device("cpu"))}
        if torch.cuda.is_available():
            row["gpu_s"] = _matmul(size, torch.device("cuda"))
        figures["matmul"][str(size)] = row
    figures["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    figures["cpu_threads"] = torch.get_num_threads()
    return figures


def _ratio(r: float) -> str:
    return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        "Batched product `(B, N, M) @ (B, M, P)` in float32 on the CPU (reference solution; best of "
        "several runs). Ratios compare times in the same run.",
        "",
        "| threads | batch | loop | no loop (broadcast + sum) | `torch.bmm` | no loop vs loop | bmm vs no loop |",
        "|---|---|---|---|---|---|---|",
    ]
    for threads, rows in figures["batched"].items():
        for shape, t in rows.items():
            lines.append(
                f"| {threads} | {shape} | {_ms(t['loop_s'])} | {_ms(t['no_loop_s'])} | {_ms(t['bmm_s'])} | "
                f"{_ratio(t['loop_s'] / t['no_loop_s'])} | {_ratio(t['no_loop_s'] / t['bmm_s'])} |"
            )
    bsz, n, m, p = TEST_SHAPE
    lines += [
        "",
        f"The notebook's speed check asks for ≥ {TEST_THRESHOLD}× over the loop at {bsz}x({n}x{m})@({m}x{p}) "
        "with one thread. Where no loop vs loop is below 1× (few large matrices) the loop wins: the "
        "broadcasting version writes a (B, N, M, P) temporary, 64 MiB for the last shape.",
        "",
        f"One square float32 matrix product, CPU ({figures['cpu_threads']} threads)"
        + (f" vs GPU ({figures['gpu']}):" if figures["gpu"] else ": no GPU on this machine, so no GPU column."),
        "",
    ]
    if figures["gpu"]:
        lines += ["| size | CPU | GPU | GPU vs CPU |", "|---|---|---|---|"]
        for size, t in figures["matmul"].items():
            lines.append(f"| {size} | {_ms(t['cpu_s'])} | {_ms(t['gpu_s'])} | {t['cpu_s'] / t['gpu_s']:.0f}× |")
    else:
        lines += ["| size | CPU | GFLOP/s |", "|---|---|---|"]
        for size, t in figures["matmul"].items():
            lines.append(f"| {size} | {_ms(t['cpu_s'])} | {2 * int(size) ** 3 / t['cpu_s'] / 1e9:.0f} |")
    return "\n".join(lines + ["", measured_line(figures)])
