"""What the hidden tests of a3 `rnn_captioning` cannot check: the release raises a clear
NotImplementedError wherever students must write code. Every check of the reference solution itself
is written once, as a hidden test of the notebook, and proven by the notebook's simulated class."""

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
        lambda m: m.word_embedding_forward(torch.zeros(1, 1, dtype=torch.int64), torch.ones(2, 2)),
        lambda m: m.rnn_step_forward(torch.ones(1, 2), torch.ones(1, 3), torch.ones(2, 3), torch.ones(3, 3), torch.ones(3)),
        lambda m: m.rnn_forward(torch.ones(1, 2, 2), torch.ones(1, 3), torch.ones(2, 3), torch.ones(3, 3), torch.ones(3)),
        lambda m: m.temporal_affine_forward(torch.ones(1, 2, 2), torch.ones(2, 3), torch.ones(3)),
        lambda m: m.temporal_softmax_loss(torch.ones(1, 2, 3), torch.zeros(1, 2, dtype=torch.int64), torch.ones(1, 2, dtype=torch.bool)),
    ],
)
def test_released_layers_are_stubs(call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(load_module(RELEASE / "rnn_layers.py"))


def test_released_captioner_and_bleu_are_stubs():
    captioning = load_module(RELEASE / "captioning.py")
    model = captioning.CaptioningRNN(4, 6, word_dim=2, hidden_dim=3)
    with pytest.raises(NotImplementedError, match="loss: write your code here"):
        model.loss(torch.ones(1, 4), torch.tensor([[1, 4, 2]]))
    with pytest.raises(NotImplementedError, match="sample: write your code here"):
        model.sample(torch.ones(1, 4))
    with pytest.raises(NotImplementedError, match="corpus_bleu: write your code here"):
        captioning.corpus_bleu([["a"]], [[["a"]]])
