"""Captioners with an LSTM: one with a hand-written backward pass, and one that looks at a
different part of the image for every word (attention), trained with autograd (assignment a3,
notebook lstm_captioning).

Both use your `lstm_layers.py`, and the word embedding, temporal affine layer and masked loss of
your `rnn_layers.py`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

import captioning
import lstm_layers
import rnn_layers


class CaptioningLSTM(captioning.CaptioningRNN):
    """`captioning.CaptioningRNN` with an LSTM: features (N, F) -> h0 = features @ W_proj + b_proj
    (the cell state starts at 0) -> an LSTM over the caption's word vectors -> scores.

    Parameters (in `self.params`): as the RNN's, with Wx (W, 4H), Wh (H, 4H) and b (4H,) for the
    four gates. The forget gate's bias starts at 1, so that the cell keeps what it holds until it
    learns otherwise.
    """

    GATES = 4

    def __init__(self, feature_dim: int, vocab_size: int, **options):
        super().__init__(feature_dim, vocab_size, **options)
        hidden = self.params["Wh"].shape[0]
        self.params["b"][hidden:2 * hidden] = 1.0

    def loss(self, features: torch.Tensor, captions: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Teacher-forced loss and the gradient of every parameter, by hand; as
        `CaptioningRNN.loss` with `lstm_forward` / `lstm_backward` for the recurrent layer."""
        p = self.params
        captions_in, captions_out = captions[:, :-1], captions[:, 1:]
        mask = captions_out != self.null
        ### BEGIN SOLUTION
        h0 = features @ p["W_proj"] + p["b_proj"]
        words, embed_cache = rnn_layers.word_embedding_forward(captions_in, p["W_embed"])
        h, lstm_cache = lstm_layers.lstm_forward(words, h0, p["Wx"], p["Wh"], p["b"])
        scores, affine_cache = rnn_layers.temporal_affine_forward(h, p["W_vocab"], p["b_vocab"])
        loss, dscores = rnn_layers.temporal_softmax_loss(scores, captions_out, mask)
        grads = {}
        dh, grads["W_vocab"], grads["b_vocab"] = rnn_layers.temporal_affine_backward(dscores, affine_cache)
        dwords, dh0, grads["Wx"], grads["Wh"], grads["b"] = lstm_layers.lstm_backward(dh, lstm_cache)
        grads["W_embed"] = rnn_layers.word_embedding_backward(dwords, embed_cache)
        grads["W_proj"], grads["b_proj"] = features.T @ dh0, dh0.sum(0)
        ### END SOLUTION
        return loss, grads

    def sample(self, features: torch.Tensor, max_length: int = 24) -> torch.Tensor:
        """Greedy decoding, as `CaptioningRNN.sample`, carrying the cell state from step to step.
        Returns int64 (N, max_length), `<NULL>` after a caption's `<END>`."""
        p = self.params
        N = features.shape[0]
        ### BEGIN SOLUTION
        h = features @ p["W_proj"] + p["b_proj"]
        c = torch.zeros_like(h)
        word = torch.full((N,), self.start, dtype=torch.int64, device=features.device)
        finished = torch.zeros(N, dtype=torch.bool, device=features.device)
        chosen = []
        for _ in range(max_length):
            h, c, _ = lstm_layers.lstm_step_forward(p["W_embed"][word], h, c, p["Wx"], p["Wh"], p["b"])
            word = (h @ p["W_vocab"] + p["b_vocab"]).argmax(-1)
            chosen.append(torch.where(finished, torch.full_like(word, self.null), word))
            finished = finished | (word == self.end)
        captions = torch.stack(chosen, dim=1)
        ### END SOLUTION
        return captions


class AttentionCaptioner(nn.Module):
    """An LSTM that attends to the image's grid of features at every step.

    The features (N, F, S, S) are projected to (N, H, S, S) by a 1x1 convolution (`self.project`);
    h0 and c0 are the mean of the projected cells. At step t the LSTM's input is the word vector
    of the previous word joined with the attention context `grid_attention(h_{t-1}, grid)`, so
    its weights are Wx (W + H, 4H), Wh (H, 4H), b (4H,). Scores come from `self.scores`. Trained
    with autograd: every operation here, yours included, is a differentiable tensor operation.
    """

    def __init__(self, feature_dim: int, vocab_size: int, *, word_dim: int = 64, hidden_dim: int = 128,
                 null: int = 0, start: int = 1, end: int = 2):  # fmt: skip
        super().__init__()
        self.null, self.start, self.end = null, start, end
        self.project = nn.Conv2d(feature_dim, hidden_dim, 1)
        self.embed = nn.Embedding(vocab_size, word_dim)
        self.Wx = nn.Parameter(torch.randn(word_dim + hidden_dim, 4 * hidden_dim) / math.sqrt(word_dim + hidden_dim))
        self.Wh = nn.Parameter(torch.randn(hidden_dim, 4 * hidden_dim) / math.sqrt(hidden_dim))
        bias = torch.zeros(4 * hidden_dim)
        bias[hidden_dim:2 * hidden_dim] = 1.0
        self.b = nn.Parameter(bias)
        self.scores = nn.Linear(hidden_dim, vocab_size)

    def forward(self, features: torch.Tensor, captions_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced scores.

        Args:
            features: (N, F, S, S); captions_in: int64 (N, T) the words read (from `<START>`).
        Returns:
            scores: (N, T, V); attention: (N, T, S, S) the weights used at every step.
        """
        ### BEGIN SOLUTION
        grid = self.project(features)  # (N, H, S, S)
        h = grid.mean((2, 3))
        c = h
        words = self.embed(captions_in)  # (N, T, W)
        states, maps = [], []
        for t in range(captions_in.shape[1]):
            context, weights = lstm_layers.grid_attention(h, grid)
            h, c, _ = lstm_layers.lstm_step_forward(torch.cat([words[:, t], context], 1), h, c, self.Wx, self.Wh, self.b)
            states.append(h)
            maps.append(weights)
        scores, attention = self.scores(torch.stack(states, 1)), torch.stack(maps, 1)
        ### END SOLUTION
        return scores, attention

    def loss(self, features: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
        """Given: the masked loss of `rnn_layers`' convention (summed over words, averaged over
        captions), as a differentiable tensor."""
        scores, _ = self(features, captions[:, :-1])
        targets = captions[:, 1:]
        return nn.functional.cross_entropy(scores.flatten(0, 1), targets.flatten(), ignore_index=self.null,
                                           reduction="sum") / len(captions)  # fmt: skip

    @torch.no_grad()
    def sample(self, features: torch.Tensor, max_length: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
        """Given: greedy decoding; returns captions int64 (N, max_length) (`<NULL>` after `<END>`)
        and the attention weights (N, max_length, S, S) behind every word."""
        N = features.shape[0]
        grid = self.project(features)
        h = c = grid.mean((2, 3))
        word = torch.full((N,), self.start, dtype=torch.int64, device=features.device)
        finished = torch.zeros(N, dtype=torch.bool, device=features.device)
        chosen, maps = [], []
        for _ in range(max_length):
            context, weights = lstm_layers.grid_attention(h, grid)
            h, c, _ = lstm_layers.lstm_step_forward(torch.cat([self.embed(word), context], 1), h, c, self.Wx, self.Wh, self.b)
            word = self.scores(h).argmax(-1)
            chosen.append(torch.where(finished, torch.full_like(word, self.null), word))
            maps.append(weights)
            finished = finished | (word == self.end)
        return torch.stack(chosen, 1), torch.stack(maps, 1)


def train_attention_captioner(model: AttentionCaptioner, features: torch.Tensor, captions: torch.Tensor,
                              owner: torch.Tensor, *, iterations: int, batch_size: int = 100, lr: float = 2e-3,
                              seed: int = 0, log_every: int = 0) -> list[float]:  # fmt: skip
    """Given: minibatch Adam with autograd; `features` (S, F, G, G) one grid per scene, `owner`
    the scene of each caption. Returns the loss of every iteration."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    model.train()
    for iteration in range(iterations):
        batch = torch.randint(0, len(captions), (min(batch_size, len(captions)),), generator=gen).to(captions.device)
        loss = model.loss(features[owner[batch]], captions[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if log_every and (iteration + 1) % log_every == 0:
            print(f"iteration {iteration + 1}: loss {loss.item():.3f}")
    model.eval()
    return losses
