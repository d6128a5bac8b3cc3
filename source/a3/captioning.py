"""A recurrent image captioner with a hand-written backward pass, greedy decoding, and corpus
BLEU (assignment a3, notebook rnn_captioning).

The captioner reads an image feature vector, turns it into the RNN's first hidden state, and
predicts each word of a caption from the words before it. It uses your layers in
`rnn_layers.py`; `loss` returns the gradient of every parameter, computed by hand.
"""

from __future__ import annotations

import math
from collections import Counter

import torch

import rnn_layers as layers


class CaptioningRNN:
    """features (N, F) -> h0 = features @ W_proj + b_proj -> an RNN over the caption's word
    vectors -> scores over the vocabulary at every step.

    Parameters (in `self.params`): W_proj (F, H), b_proj (H,), W_embed (V, W), Wx (W, H),
    Wh (H, H), b (H,), W_vocab (H, V), b_vocab (V,). Weights are drawn from N(0, 1/fan_in)
    with `generator`; biases start at 0.
    """

    GATES = 1  # columns of Wx, Wh and b per hidden unit (an LSTM has 4)

    def __init__(self, feature_dim: int, vocab_size: int, *, word_dim: int = 64, hidden_dim: int = 128,
                 null: int = 0, start: int = 1, end: int = 2, device=None, dtype=torch.float32,
                 generator: torch.Generator | None = None):  # fmt: skip
        self.null, self.start, self.end = null, start, end
        width = self.GATES * hidden_dim
        shapes = {"W_proj": (feature_dim, hidden_dim), "W_embed": (vocab_size, word_dim),
                  "Wx": (word_dim, width), "Wh": (hidden_dim, width), "W_vocab": (hidden_dim, vocab_size)}  # fmt: skip
        self.params = {}
        for name, shape in shapes.items():
            scale = 1.0 if name == "W_embed" else 1 / math.sqrt(shape[0])
            self.params[name] = (torch.randn(shape, generator=generator, dtype=dtype) * scale).to(device)
        for name, size in (("b_proj", hidden_dim), ("b", width), ("b_vocab", vocab_size)):
            self.params[name] = torch.zeros(size, dtype=dtype, device=device)

    def loss(self, features: torch.Tensor, captions: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Teacher-forced loss and gradients.

        Args:
            features: (N, F) image features.
            captions: int64 (N, T + 1), each `<START> words <END> <NULL>...`. The RNN reads
                captions[:, :-1] and must predict captions[:, 1:]; `<NULL>` targets do not count.
        Returns:
            loss: 0-d tensor, `temporal_softmax_loss` of the scores (summed over time, averaged
                over the batch); grads: the gradient of every parameter, same keys and shapes as
                `self.params`.
        """
        p = self.params
        captions_in, captions_out = captions[:, :-1], captions[:, 1:]
        mask = captions_out != self.null
        ### BEGIN SOLUTION
        h0 = features @ p["W_proj"] + p["b_proj"]  # (N, H)
        words, embed_cache = layers.word_embedding_forward(captions_in, p["W_embed"])  # (N, T, W)
        h, rnn_cache = layers.rnn_forward(words, h0, p["Wx"], p["Wh"], p["b"])  # (N, T, H)
        scores, affine_cache = layers.temporal_affine_forward(h, p["W_vocab"], p["b_vocab"])  # (N, T, V)
        loss, dscores = layers.temporal_softmax_loss(scores, captions_out, mask)

        grads = {}
        dh, grads["W_vocab"], grads["b_vocab"] = layers.temporal_affine_backward(dscores, affine_cache)
        dwords, dh0, grads["Wx"], grads["Wh"], grads["b"] = layers.rnn_backward(dh, rnn_cache)
        grads["W_embed"] = layers.word_embedding_backward(dwords, embed_cache)
        grads["W_proj"], grads["b_proj"] = features.T @ dh0, dh0.sum(0)
        ### END SOLUTION
        return loss, grads

    def sample(self, features: torch.Tensor, max_length: int = 24) -> torch.Tensor:
        """Greedy decoding: start from `<START>`, feed back the highest-scoring word each step.

        Args:
            features: (N, F).
        Returns:
            int64 (N, max_length) the chosen words (without `<START>`); once a caption has
            produced `<END>`, its later positions are `<NULL>`.
        """
        p = self.params
        N = features.shape[0]
        ### BEGIN SOLUTION
        h = features @ p["W_proj"] + p["b_proj"]  # (N, H)
        word = torch.full((N,), self.start, dtype=torch.int64, device=features.device)
        finished = torch.zeros(N, dtype=torch.bool, device=features.device)
        chosen = []
        for _ in range(max_length):
            h, _ = layers.rnn_step_forward(p["W_embed"][word], h, p["Wx"], p["Wh"], p["b"])
            word = (h @ p["W_vocab"] + p["b_vocab"]).argmax(-1)  # (N,)
            chosen.append(torch.where(finished, torch.full_like(word, self.null), word))
            finished = finished | (word == self.end)
        captions = torch.stack(chosen, dim=1)
        ### END SOLUTION
        return captions


def train_captioner(model: CaptioningRNN, features: torch.Tensor, captions: torch.Tensor, owner: torch.Tensor, *,
                    iterations: int, batch_size: int = 100, lr: float = 5e-3, seed: int = 0,
                    log_every: int = 0) -> list[float]:  # fmt: skip
    """Given: minibatch Adam on the model's hand-written gradients.

    Args:
        features: (S, F) one row per scene; captions: int64 (M, T + 1); owner: int64 (M,) the
            scene (row of `features`) of each caption.
    Returns:
        The loss of every iteration. PyTorch's Adam only needs `.grad` on each parameter,
        however it was computed, so `loss`'s gradients are handed to it as they are.
    """
    params = [p.requires_grad_() for p in model.params.values()]
    optimizer = torch.optim.Adam(params, lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for iteration in range(iterations):
        batch = torch.randint(0, len(captions), (min(batch_size, len(captions)),), generator=gen).to(captions.device)
        with torch.no_grad():
            loss, grads = model.loss(features[owner[batch]], captions[batch])
        for name, p in model.params.items():
            p.grad = grads[name]
        optimizer.step()
        losses.append(loss.item())
        if log_every and (iteration + 1) % log_every == 0:
            print(f"iteration {iteration + 1}: loss {loss.item():.3f}")
    for p in params:
        p.requires_grad_(False)
        p.grad = None
    return losses


def corpus_bleu(candidates: list[list[str]], references: list[list[list[str]]], max_n: int = 4) -> float:
    """Corpus BLEU-max_n (Papineni et al., 2002), without smoothing.

    Args:
        candidates: one token list per image (the model's caption).
        references: for each image, its reference captions, each a token list.
    Returns:
        BP * exp(mean over n = 1..max_n of log p_n), where p_n is the corpus's clipped n-gram
        precision (each candidate n-gram counts at most as often as it occurs in the one
        reference that has it most), summed over all candidates before dividing, and
        BP = min(1, exp(1 - r / c)), c the total candidate length and r the sum over images of
        the reference length closest to its candidate's (the shorter one on a tie).
        0.0 when some p_n is 0.
    """
    ### BEGIN SOLUTION
    matches, totals = [0] * max_n, [0] * max_n
    candidate_length = reference_length = 0
    for candidate, refs in zip(candidates, references):
        candidate_length += len(candidate)
        reference_length += min((abs(len(r) - len(candidate)), len(r)) for r in refs)[1]
        for n in range(1, max_n + 1):
            grams = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            most = Counter()
            for ref in refs:
                most |= Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum(min(count, most[gram]) for gram, count in grams.items())
            totals[n - 1] += max(len(candidate) - n + 1, 0)
    if candidate_length == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = min(1.0, math.exp(1 - reference_length / candidate_length))
    bleu = brevity * math.exp(log_precision)
    ### END SOLUTION
    return bleu
