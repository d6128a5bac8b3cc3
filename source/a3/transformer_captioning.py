"""A transformer that captions scenes (assignment a3, notebook transformer_captioning): the words
attend to each other through a causal mask and to the image's grid of features through
cross-attention. Built from your `transformer_layers.py`, trained with autograd.
"""

from __future__ import annotations

import math

import torch
from torch import nn

import transformer_layers


class CaptioningTransformer(nn.Module):
    """Image grid (N, F, S, S) and caption prefix (N, T) -> next-word scores (N, T, V).

    `project` maps each of the S*S grid cells' F features to a D-dimensional memory token (the
    scene encoder's features already hold each cell's position). A word enters as its embedding
    plus the sinusoidal encoding of its position (`self.positions`, (max_length, D)). The words
    go through `layers` decoder layers, then `norm`, then `scores`.
    """

    def __init__(self, feature_dim: int, vocab_size: int, *, dim: int = 128, heads: int = 4, layers: int = 2,
                 hidden: int = 256, max_length: int = 32, dropout: float = 0.1,
                 null: int = 0, start: int = 1, end: int = 2):  # fmt: skip
        super().__init__()
        self.null, self.start, self.end = null, start, end
        self.project = nn.Linear(feature_dim, dim)
        self.embed = nn.Embedding(vocab_size, dim)
        self.register_buffer("positions", transformer_layers.positional_encoding(max_length, dim), persistent=False)
        self.layers = nn.ModuleList(transformer_layers.DecoderLayer(dim, heads, hidden, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.scores = nn.Linear(dim, vocab_size)

    def forward(self, features: torch.Tensor, captions_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced scores.

        Args:
            features: (N, F, S, S); captions_in: int64 (N, T), T <= max_length, the words read
                (from `<START>`, `<NULL>` after the caption).
        Returns:
            scores: (N, T, V), where row t depends on words 0..t only;
            attention: (N, T, S, S), the last layer's cross-attention weights averaged over the
                heads.
        The self-attention mask lets word t look at words 0..t that are not `<NULL>`.
        """
        ### BEGIN SOLUTION
        N, T = captions_in.shape
        grid_size = features.shape[-1]
        memory = self.project(features.flatten(2).transpose(1, 2))  # (N, S*S, D)
        x = self.embed(captions_in) + self.positions[:T]
        mask = transformer_layers.causal_mask(T, device=captions_in.device) & (captions_in != self.null)[:, None, :]
        for layer in self.layers:
            x, cross_weights = layer(x, memory, mask)
        scores = self.scores(self.norm(x))
        attention = cross_weights.mean(1).view(N, T, grid_size, grid_size)
        ### END SOLUTION
        return scores, attention

    def loss(self, features: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
        """Given: cross-entropy summed over the words that are not `<NULL>`, averaged over
        captions (the convention of `rnn_layers.temporal_softmax_loss`)."""
        scores, _ = self(features, captions[:, :-1])
        return nn.functional.cross_entropy(scores.flatten(0, 1), captions[:, 1:].flatten(), ignore_index=self.null,
                                           reduction="sum") / len(captions)  # fmt: skip

    @torch.no_grad()
    def sample(self, features: torch.Tensor, max_length: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy decoding: start from `<START>`, and at each step run the model on the words
        chosen so far and take the best-scoring next word.

        Returns:
            captions: int64 (N, max_length), the chosen words (not `<START>`), `<NULL>` after a
                caption's `<END>`;
            attention: (N, max_length, S, S), the attention behind each chosen word.
        """
        ### BEGIN SOLUTION
        N = features.shape[0]
        words = torch.full((N, 1), self.start, dtype=torch.int64, device=features.device)
        finished = torch.zeros(N, dtype=torch.bool, device=features.device)
        for _ in range(max_length):
            scores, attention = self(features, words)
            chosen = scores[:, -1].argmax(-1)
            words = torch.cat([words, torch.where(finished, self.null, chosen)[:, None]], dim=1)
            finished = finished | (chosen == self.end)
        captions = words[:, 1:]
        ### END SOLUTION
        return captions, attention


def train_transformer_captioner(model: CaptioningTransformer, features: torch.Tensor, captions: torch.Tensor,
                                owner: torch.Tensor, *, iterations: int, batch_size: int = 100, lr: float = 1e-3,
                                warmup: int = 100, seed: int = 0) -> list[float]:  # fmt: skip
    """Given: AdamW with a linear warm-up over `warmup` iterations and a cosine decay to 0
    (transformers train badly when the first steps are large). `features` (scenes, F, S, S),
    `owner` the scene of each caption. Returns the loss of every iteration."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, min(warmup, iterations // 2))

    def rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, iterations - warmup)))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    model.train()
    for _ in range(iterations):
        batch = torch.randint(0, len(captions), (min(batch_size, len(captions)),), generator=gen).to(captions.device)
        loss = model.loss(features[owner[batch]], captions[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses
