"""What the hidden tests of a3 `lstm_captioning` cannot check: the release raises a clear
NotImplementedError wherever students must write code, and keeps the given code (the stable
sigmoid, the attention captioner's loss, sampling and training). Every check of the reference
solution itself is written once, as a hidden test of the notebook, and proven by its simulated
class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "a3"


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.lstm_step_forward(torch.ones(1, 2), torch.ones(1, 3), torch.ones(1, 3), torch.ones(2, 12),
                                      torch.ones(3, 12), torch.ones(12)),
        lambda m: m.lstm_forward(torch.ones(1, 2, 2), torch.ones(1, 3), torch.ones(2, 12), torch.ones(3, 12), torch.ones(12)),
        lambda m: m.grid_attention(torch.ones(1, 3), torch.ones(1, 3, 2, 2)),
    ],
)
def test_released_layers_are_stubs(call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(load_module(RELEASE / "lstm_layers.py"))


def test_the_given_sigmoid_is_released_and_never_overflows():
    released = load_module(RELEASE / "lstm_layers.py")
    x = torch.tensor([-1e4, -3.0, 0.0, 3.0, 1e4], dtype=torch.float64)
    assert torch.allclose(released.sigmoid(x), torch.sigmoid(x), rtol=0, atol=1e-15)


def test_released_captioners_are_stubs():
    lstm_captioning = load_module(RELEASE / "lstm_captioning.py")
    model = lstm_captioning.CaptioningLSTM(4, 6, word_dim=2, hidden_dim=3)
    with pytest.raises(NotImplementedError, match="loss: write your code here"):
        model.loss(torch.ones(1, 4), torch.tensor([[1, 4, 2]]))
    with pytest.raises(NotImplementedError, match="sample: write your code here"):
        model.sample(torch.ones(1, 4))
    with pytest.raises(NotImplementedError, match="forward: write your code here"):
        lstm_captioning.AttentionCaptioner(4, 6, word_dim=2, hidden_dim=3)(torch.ones(1, 4, 2, 2), torch.ones(1, 2, dtype=torch.int64))
