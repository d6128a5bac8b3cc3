"""The pieces of a transformer, written with tensor operations (assignment a3, notebook
transformer_captioning): scaled dot-product attention, the masks that say who may look at whom,
sinusoidal positional encoding, multi-head attention, and the decoder and encoder layers built
from them.

Shapes: N examples, L queries, S keys, D model dimensions, h heads of D / h dimensions each.
Masks are boolean and True where a query may look at a key (the convention of
`torch.nn.functional.scaled_dot_product_attention`; `torch.nn.MultiheadAttention` uses the
opposite one).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """Every query's average of the values, weighted by softmax(query . key / sqrt(d)).

    Args:
        query: (..., L, d); key: (..., S, d); value: (..., S, e); the leading dimensions match
            or broadcast.
        mask: None, or bool broadcastable to (..., L, S), True where the query may look at the
            key. Every query keeps at least one key.
    Returns:
        output: (..., L, e); weights: (..., L, S), each row a distribution over the keys (0 where
        the mask says no).
    """
    ### BEGIN SOLUTION
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    output = weights @ value
    ### END SOLUTION
    return output, weights


def causal_mask(length: int, device: torch.device | str | None = None) -> torch.Tensor:
    """bool (length, length): True where position i may look at position j, that is j <= i
    (nothing from the future)."""
    ### BEGIN SOLUTION
    mask = torch.ones(length, length, dtype=torch.bool, device=device).tril()
    ### END SOLUTION
    return mask


def positional_encoding(length: int, dim: int, *, base: float = 10_000.0, dtype: torch.dtype = torch.float32,
                        device: torch.device | str | None = None) -> torch.Tensor:  # fmt: skip
    """Sinusoidal positions, (length, dim) for an even `dim`: row p holds
    sin(p / base^(2i / dim)) in column 2i and cos(p / base^(2i / dim)) in column 2i + 1."""
    if dim % 2:
        raise ValueError(f"positional_encoding: dim must be even, got {dim}")
    ### BEGIN SOLUTION
    position = torch.arange(length, dtype=dtype, device=device)[:, None]  # (L, 1)
    frequency = base ** (-torch.arange(0, dim, 2, dtype=dtype, device=device) / dim)  # (dim / 2,)
    angle = position * frequency
    encoding = torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)
    ### END SOLUTION
    return encoding


class MultiHeadAttention(nn.Module):
    """h attention heads side by side, each over its own D / h-dimensional projection.

    `query`, `key`, `value` and `out` are (D -> D) linear maps. The first three project the
    inputs, whose last dimension is then split into h heads of D / h (head k owns columns
    k * D/h to (k + 1) * D/h); each head attends on its own; the heads' outputs are put side by
    side again and mapped by `out`.
    """

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"MultiHeadAttention: {heads} heads cannot split {dim} dimensions evenly")
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """Args:
            query: (N, L, D); key, value: (N, S, D).
            mask: None, or bool broadcastable to (N, L, S), the same for every head: a causal
                (L, S) mask, a key-padding (N, 1, S) mask, or one per example (N, L, S).
        Returns:
            output: (N, L, D); weights: (N, h, L, S), every head's attention weights.
        """
        ### BEGIN SOLUTION
        N, L, D = query.shape
        S, h = key.shape[1], self.heads

        def split(x: torch.Tensor, length: int) -> torch.Tensor:  # (N, length, D) -> (N, h, length, D / h)
            return x.view(N, length, h, D // h).transpose(1, 2)

        q, k, v = split(self.query(query), L), split(self.key(key), S), split(self.value(value), S)
        heads_mask = None if mask is None else mask.unsqueeze(-3)
        output, weights = scaled_dot_product_attention(q, k, v, heads_mask)
        output = self.out(output.transpose(1, 2).reshape(N, L, D))
        ### END SOLUTION
        return output, weights


class DecoderLayer(nn.Module):
    """One pre-norm transformer decoder layer: masked self-attention over the words, attention
    from the words to the image ("cross-attention"), and a feed-forward network; each reads a
    layer-normalised copy of x and adds its (dropped-out) result back to x:

        x = x + dropout(self_attention(norm1(x), norm1(x), norm1(x), mask))
        x = x + dropout(cross_attention(norm2(x), memory, memory))
        x = x + dropout(feed_forward(norm3(x)))

    `feed_forward` is Linear(D, hidden) -> GELU -> dropout -> Linear(hidden, D).
    """

    def __init__(self, dim: int, heads: int, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.self_attention, self.cross_attention = MultiHeadAttention(dim, heads), MultiHeadAttention(dim, heads)
        self.feed_forward = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim))
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """Args:
            x: (N, T, D) the words; memory: (N, S, D) the image's tokens; mask: for the
                self-attention, bool broadcastable to (N, T, T).
        Returns:
            x: (N, T, D); cross_weights: (N, h, T, S) the cross-attention's weights.
        """
        ### BEGIN SOLUTION
        normed = self.norm1(x)
        x = x + self.dropout(self.self_attention(normed, normed, normed, mask)[0])
        attended, cross_weights = self.cross_attention(self.norm2(x), memory, memory)
        x = x + self.dropout(attended)
        x = x + self.dropout(self.feed_forward(self.norm3(x)))
        ### END SOLUTION
        return x, cross_weights


class EncoderLayer(nn.Module):
    """One pre-norm transformer encoder layer: self-attention in which every token sees every
    token, then a feed-forward network, each on a layer-normalised copy added back:

        x = x + dropout(attention(norm1(x), norm1(x), norm1(x)))
        x = x + dropout(feed_forward(norm2(x)))

    `feed_forward` as in `DecoderLayer`.
    """

    def __init__(self, dim: int, heads: int, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.attention = MultiHeadAttention(dim, heads)
        self.feed_forward = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (N, T, D) -> (x (N, T, D), weights (N, h, T, T) of the self-attention)."""
        ### BEGIN SOLUTION
        normed = self.norm1(x)
        attended, weights = self.attention(normed, normed, normed)
        x = x + self.dropout(attended)
        x = x + self.dropout(self.feed_forward(self.norm2(x)))
        ### END SOLUTION
        return x, weights
