"""PyTorch's own transformer modules carrying the weights of a course module laid out as in a3's
`transformer_layers.py`, so a test can run the same computation through both.

The course's modules name their parts; PyTorch stacks them:

    MultiHeadAttention: query, key, value, out (Linear D -> D)
        -> nn.MultiheadAttention: in_proj_weight = [query; key; value], out_proj = out
    DecoderLayer: self_attention, cross_attention, feed_forward = (Linear, GELU, Dropout, Linear),
        norm1, norm2, norm3 -> nn.TransformerDecoderLayer(norm_first=True, activation="gelu")
    EncoderLayer: attention, feed_forward, norm1, norm2 -> nn.TransformerEncoderLayer(norm_first=True)

Twins are built with dropout 0 and in eval mode, on the original's device and dtype. Their masks
use PyTorch's convention (True = may NOT attend); `blocked` turns a course mask into one.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["attention_twin", "decoder_layer_twin", "encoder_layer_twin", "blocked"]


def _like(module: nn.Module, original: nn.Module) -> nn.Module:
    weight = next(original.parameters())
    return module.to(device=weight.device, dtype=weight.dtype).eval()


def _copy_linear(source: nn.Linear, target: nn.Linear) -> None:
    target.weight.copy_(source.weight)
    target.bias.copy_(source.bias)


def _fill_attention(ours: nn.Module, theirs: nn.MultiheadAttention) -> None:
    parts = (ours.query, ours.key, ours.value)
    theirs.in_proj_weight.copy_(torch.cat([p.weight for p in parts]))
    theirs.in_proj_bias.copy_(torch.cat([p.bias for p in parts]))
    _copy_linear(ours.out, theirs.out_proj)


@torch.no_grad()
def attention_twin(ours: nn.Module) -> nn.MultiheadAttention:
    """nn.MultiheadAttention(batch_first=True) computing what `ours` (a MultiHeadAttention) should."""
    dim = ours.query.in_features
    theirs = _like(nn.MultiheadAttention(dim, ours.heads, batch_first=True), ours)
    _fill_attention(ours, theirs)
    return theirs


def _layer_twin(kind: type, ours: nn.Module, heads: int) -> nn.Module:
    """A pre-norm GELU PyTorch layer of `kind` with `ours`' feed-forward network and layer norms
    copied in (the attention is the caller's to fill)."""
    first, last = ours.feed_forward[0], ours.feed_forward[-1]
    theirs = _like(kind(first.in_features, heads, first.out_features, dropout=0.0, activation="gelu", batch_first=True,
                        norm_first=True), ours)  # fmt: skip
    _copy_linear(first, theirs.linear1)
    _copy_linear(last, theirs.linear2)
    for name in ("norm1", "norm2", "norm3"):
        if hasattr(theirs, name):
            _copy_linear(getattr(ours, name), getattr(theirs, name))
    return theirs


@torch.no_grad()
def decoder_layer_twin(ours: nn.Module) -> nn.TransformerDecoderLayer:
    """nn.TransformerDecoderLayer (pre-norm, GELU, batch_first) computing what `ours` should."""
    theirs = _layer_twin(nn.TransformerDecoderLayer, ours, ours.self_attention.heads)
    _fill_attention(ours.self_attention, theirs.self_attn)
    _fill_attention(ours.cross_attention, theirs.multihead_attn)
    return theirs


@torch.no_grad()
def encoder_layer_twin(ours: nn.Module) -> nn.TransformerEncoderLayer:
    """nn.TransformerEncoderLayer (pre-norm, GELU, batch_first) computing what `ours` should."""
    theirs = _layer_twin(nn.TransformerEncoderLayer, ours, ours.attention.heads)
    _fill_attention(ours.attention, theirs.self_attn)
    return theirs


def blocked(mask: torch.Tensor, *, heads: int, batch: int, queries: int) -> torch.Tensor:
    """A course mask (True = may attend), broadcastable to (batch, queries, S), as the
    (batch * heads, queries, S) `attn_mask` of nn.MultiheadAttention (True = may not attend)."""
    return ~mask.expand(batch, queries, mask.shape[-1]).repeat_interleave(heads, dim=0)
