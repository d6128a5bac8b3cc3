"""a3 hand-written LSTM against PyTorch: forward plus backward of the reference `lstm_layers`
(`lstm_forward` then `lstm_backward`) and of `nn.LSTM` with autograd, at the captioner's size
(batch 100, 23 steps, 64 inputs, hidden 256), timed in the same run as a ratio.
"""

from __future__ import annotations

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv.testing import best_time

TITLE = "a3 LSTM by hand against nn.LSTM"
N, T, D, H = 100, 23, 64, 256
GOAL = 3.0  # the hand-written version should be within 3x of nn.LSTM with autograd


def measure() -> dict:
    layers = reference_module("a3", "lstm_layers")
    gen = torch.Generator().manual_seed(0)
    x, h0, dh = torch.randn(N, T, D, generator=gen), torch.randn(N, H, generator=gen), torch.randn(N, T, H, generator=gen)
    Wx, Wh, b = torch.randn(D, 4 * H, generator=gen) / 8, torch.randn(H, 4 * H, generator=gen) / 16, torch.zeros(4 * H)
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    x_leaf, h0_leaf = x.clone().requires_grad_(), h0.clone().requires_grad_()

    def by_hand():
        h, cache = layers.lstm_forward(x, h0, Wx, Wh, b)
        return layers.lstm_backward(dh, cache)

    def pytorch():
        out, _ = lstm(x_leaf, (h0_leaf[None], torch.zeros(1, N, H)))
        out.backward(dh)

    figures = {}
    for threads in (1, torch.get_num_threads()):
        hand, library = best_time(by_hand, threads=threads), best_time(pytorch, threads=threads)
        figures[str(threads)] = {"by_hand": hand, "nn_lstm": library, "ratio": hand / library}
    return {"threads": figures}


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"`lstm_forward` + `lstm_backward` (reference) against `nn.LSTM` forward + autograd backward: batch {N}, "
        f"{T} steps, {D} inputs, hidden {H}. Goal: within {GOAL:g}× of PyTorch.",
        "",
        "| torch threads | by hand | nn.LSTM | ratio |",
        "|---|---|---|---|",
    ]
    for threads, f in figures["threads"].items():
        lines.append(f"| {threads} | {f['by_hand'] * 1000:.0f} ms | {f['nn_lstm'] * 1000:.0f} ms | {f['ratio']:.2f}× |")
    lines += ["", measured_line(figures)]
    return "\n".join(lines)
