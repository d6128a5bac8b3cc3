"""What the hidden tests of a3 `transformer_captioning` cannot check: the release raises a clear
NotImplementedError wherever students must write code, keeps the given constructors, loss and
training loops, and the twins the hidden tests build from PyTorch's own transformer modules
compute what the notebook describes. Every check of the reference solution itself is a hidden
test of the notebook, proven by its simulated class."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "a3"


@pytest.fixture()
def released(monkeypatch):
    """The released modules, importable by name as the notebook imports them."""
    monkeypatch.syspath_prepend(str(RELEASE))
    for name in ("transformer_layers", "transformer_captioning", "vision_transformer"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return {name: load_module(RELEASE / f"{name}.py") for name in ("transformer_layers", "transformer_captioning",
                                                                   "vision_transformer")}  # fmt: skip


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.scaled_dot_product_attention(torch.ones(2, 3), torch.ones(4, 3), torch.ones(4, 1)),
        lambda m: m.causal_mask(3),
        lambda m: m.positional_encoding(4, 6),
        lambda m: m.MultiHeadAttention(4, 2)(torch.ones(1, 2, 4), torch.ones(1, 3, 4), torch.ones(1, 3, 4)),
        lambda m: m.DecoderLayer(4, 2, 8)(torch.ones(1, 2, 4), torch.ones(1, 3, 4)),
        lambda m: m.EncoderLayer(4, 2, 8)(torch.ones(1, 2, 4)),
    ],
)
def test_released_layers_are_stubs(released, call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(released["transformer_layers"])


def test_released_positional_encoding_still_refuses_an_odd_dimension(released):
    with pytest.raises(ValueError, match="even"):
        released["transformer_layers"].positional_encoding(4, 5)


def test_released_vision_transformer_is_a_stub_with_its_parameters(released):
    vision_transformer = released["vision_transformer"]
    with pytest.raises(NotImplementedError, match="write your code here"):
        vision_transformer.patchify(torch.ones(1, 1, 4, 4), 2)
    model = vision_transformer.VisionTransformer(dim=8, heads=2, layers=1, hidden=16)
    assert model.positions.shape == (1, 50, 8) and model.class_token.shape == (1, 1, 8)
    with pytest.raises(NotImplementedError, match="forward: write your code here"):
        model(torch.ones(1, 1, 28, 28))


def test_released_captioner_cannot_be_built_before_the_positional_encoding_is_written(released):
    # The constructor computes the positions with the student's own function: the error says so.
    with pytest.raises(NotImplementedError, match="positional_encoding: write your code here"):
        released["transformer_captioning"].CaptioningTransformer(6, 9, dim=8, heads=2, layers=1, hidden=16)


def test_the_twins_compute_what_the_notebook_describes():
    """The layer twins of the hidden tests, checked against the formulas of the notebook written
    out with plain tensor operations (PyTorch's pre-norm GELU layer, our module layout)."""
    from torch import nn

    from dl4cv.testing.twins import attention_twin, blocked, encoder_layer_twin

    torch.manual_seed(0)

    class Attention(nn.Module):  # the layout the twins read
        def __init__(self, dim, heads):
            super().__init__()
            self.heads = heads
            self.query, self.key, self.value, self.out = (nn.Linear(dim, dim) for _ in range(4))

    class Encoder(nn.Module):
        def __init__(self, dim, heads, hidden):
            super().__init__()
            self.attention = Attention(dim, heads)
            self.feed_forward = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(0.0), nn.Linear(hidden, dim))
            self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def attend(module, x, mask):
        N, T, D = x.shape
        h = module.heads
        q, k, v = (part(x).view(N, T, h, D // h).transpose(1, 2) for part in (module.query, module.key, module.value))
        scores = (q @ k.transpose(-1, -2) / (D // h) ** 0.5).masked_fill(~mask, float("-inf"))
        return module.out((scores.softmax(-1) @ v).transpose(1, 2).reshape(N, T, D))

    ours = Encoder(8, 2, 16).double()
    x = torch.randn(3, 5, 8, dtype=torch.float64)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    with torch.no_grad():
        twin = attention_twin(ours.attention)
        got = twin(x, x, x, attn_mask=blocked(mask, heads=2, batch=3, queries=5))[0]
        torch.testing.assert_close(got, attend(ours.attention, x, mask))
        everyone = torch.ones(5, 5, dtype=torch.bool)
        hidden = x + attend(ours.attention, ours.norm1(x), everyone)
        want = hidden + ours.feed_forward(ours.norm2(hidden))
        torch.testing.assert_close(encoder_layer_twin(ours)(x), want)
