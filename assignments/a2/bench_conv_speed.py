"""The a2 convolution layers at the sizes the convnets train with: naive loops, the vectorised
(im2col) reference and PyTorch's own convolution, forward and backward, as ratios in one run.

The naive loops would take minutes on a whole batch, so they are timed on one image and scaled
by the batch size (their cost is the same for every image). PyTorch's backward is
`aten::convolution_backward`, the kernel autograd calls, timed alone.
"""

from __future__ import annotations


import torch
import torch.nn.functional as F

from benchmarks.common import measured_line, reference_module
from dl4cv.testing import best_time

TITLE = "a2 convolution: naive, vectorised (im2col) and PyTorch"
BATCH = 50
# (name, C, H, F, K): layers of the three-layer net and of the deep net, pad K // 2, stride 1
LAYERS = [
    ("three-layer conv 1", 1, 28, 32, 5),
    ("deep conv 2", 16, 14, 32, 3),
    ("deep conv 3", 32, 14, 32, 3),
]


def _conv_layers():
    return reference_module("a2", "conv_layers")


def _torch_backward(dout, x, w, pad):
    return torch.ops.aten.convolution_backward(
        dout, x, w, [w.shape[0]], [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, [True, True, True]
    )


def _measure_layer(cl, C, H, F_, K, threads) -> dict:
    gen = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(BATCH, C, H, H, generator=gen), torch.randn(F_, C, K, K, generator=gen), torch.randn(F_, generator=gen)
    pad = K // 2
    conv_param = {"stride": 1, "pad": pad}
    out, cache = cl.conv_forward_fast(x, w, b, conv_param)
    dout = torch.randn(out.shape, generator=gen)
    one = x[:1]
    _, cache_one = cl.conv_forward_naive(one, w, b, conv_param)
    return {
        "naive_forward_s": BATCH * best_time(lambda: cl.conv_forward_naive(one, w, b, conv_param), repeats=1, threads=threads),
        "naive_backward_s": BATCH * best_time(lambda: cl.conv_backward_naive(dout[:1], cache_one), repeats=1, threads=threads),
        "fast_forward_s": best_time(lambda: cl.conv_forward_fast(x, w, b, conv_param), repeats=5, threads=threads),
        "fast_backward_s": best_time(lambda: cl.conv_backward_fast(dout, cache), repeats=5, threads=threads),
        "torch_forward_s": best_time(lambda: F.conv2d(x, w, b, padding=pad), repeats=5, threads=threads),
        "torch_backward_s": best_time(lambda: _torch_backward(dout, x, w, pad), repeats=5, threads=threads),
    }


def measure() -> dict:
    cl = _conv_layers()
    figures: dict = {"batch": BATCH, "layers": [], "threads": sorted({1, torch.get_num_threads()})}
    for name, C, H, F_, K in LAYERS:
        row = {"name": name, "shape": [C, H, F_, K], "by_threads": {}}
        for threads in figures["threads"]:
            row["by_threads"][str(threads)] = _measure_layer(cl, C, H, F_, K, threads)
        figures["layers"].append(row)
    return figures


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"One conv layer on a batch of {figures['batch']} images (float32, CPU, stride 1, 'same' padding), "
        "best of 5 runs; the naive loops are timed on one image and scaled to the batch. Ratios are "
        "from the same run.",
        "",
        "| layer (C×H×H → F, K×K) | threads | naive fwd / bwd | vectorised fwd / bwd | PyTorch fwd / bwd | "
        "speed-up over naive fwd / bwd | vectorised time ÷ PyTorch time fwd / bwd |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in figures["layers"]:
        C, H, F_, K = row["shape"]
        for threads, t in row["by_threads"].items():
            lines.append(
                f"| {row['name']} ({C}×{H}×{H} → {F_}, {K}×{K}) | {threads} | "
                f"{t['naive_forward_s']:.1f} s / {t['naive_backward_s']:.1f} s | "
                f"{t['fast_forward_s'] * 1e3:.1f} ms / {t['fast_backward_s'] * 1e3:.1f} ms | "
                f"{t['torch_forward_s'] * 1e3:.1f} ms / {t['torch_backward_s'] * 1e3:.1f} ms | "
                f"{t['naive_forward_s'] / t['fast_forward_s']:,.0f}× / {t['naive_backward_s'] / t['fast_backward_s']:,.0f}× | "
                f"{t['fast_forward_s'] / t['torch_forward_s']:.1f}× / {t['fast_backward_s'] / t['torch_backward_s']:.1f}× |"
            )
    lines += [
        "",
        "The a2 speed rule asks the vectorised layer for ≥ 10× over the naive loops forward and ≥ 100× "
        "backward (the hidden tests time smaller inputs); the goal for the reference is to stay within "
        "3× of PyTorch's hand-tuned kernels.",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
