"""What the hidden tests of a2 `fully_connected_networks` cannot check: the release raises a clear
NotImplementedError wherever students must write code. Every check of the reference solution itself
is written once, as a hidden test of the notebook, and proven by the notebook's simulated class. It
also checks that plain `sgd`, which students are given, stays in the release."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]


RELEASE = ROOT / "release" / "a2"
F64 = torch.float64


def randn(*shape, device, seed=None):
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.randn(*shape, generator=gen, dtype=F64).to(device)


# --------------------------------------------------------------------------- gradient checker


# --------------------------------------------------------------------------- layers


# --------------------------------------------------------------------------- update rules


# --------------------------------------------------------------------------- the network


# --------------------------------------------------------------------------- the stubs


def stub_module(name: str):
    """The module as released (release/a2, kept in sync with source/ by a test): every solution
    region replaced by a NotImplementedError stub."""
    return load_module(RELEASE / f"{name}.py")


@pytest.mark.parametrize(
    ("module", "call"),
    [
        ("layers", lambda m: m.linear_forward(torch.ones(2, 3), torch.ones(3, 2), torch.ones(2))),
        ("layers", lambda m: m.linear_backward(torch.ones(2, 2), (torch.ones(2, 3), torch.ones(3, 2), torch.ones(2)))),
        ("layers", lambda m: m.relu_forward(torch.ones(2))),
        ("layers", lambda m: m.relu_backward(torch.ones(2), torch.ones(2))),
        ("layers", lambda m: m.linear_relu_forward(torch.ones(2, 3), torch.ones(3, 2), torch.ones(2))),
        ("layers", lambda m: m.linear_relu_backward(torch.ones(2, 2), None)),
        ("layers", lambda m: m.softmax_loss(torch.ones(2, 3), torch.zeros(2, dtype=torch.long))),
        ("layers", lambda m: m.numerical_gradient(lambda t: t.sum(), torch.ones(2, dtype=F64))),
        ("optim", lambda m: m.sgd_momentum(torch.ones(2), torch.ones(2))),
        ("optim", lambda m: m.rmsprop(torch.ones(2), torch.ones(2))),
        ("optim", lambda m: m.adam(torch.ones(2), torch.ones(2))),
        ("fc_net", lambda m: m.FullyConnectedNet([3], input_dim=2)),
    ],
)  # fmt: skip
def test_released_modules_are_stubs(module, call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(stub_module(module))


def test_released_sgd_is_given():
    next_w, config = stub_module("optim").sgd(torch.ones(2), torch.ones(2))
    assert torch.allclose(next_w, torch.full((2,), 0.99)) and config["learning_rate"] == 1e-2
