"""Linear classifiers with a multiclass SVM (hinge) loss or a softmax (cross-entropy) loss
(assignment a1, notebook linear_classifier).

Shapes used throughout: `W` is (D, C), the weights of C linear scores; `X` is (N, D), one
example per row; `y` is (N,) int64 with labels in 0..C-1. The scores of example i are
`X[i] @ W`, a row of C numbers. The bias is folded into `W` by the bias trick: the last column
of `X` is all ones (see `append_ones`), so the last row of `W` holds the biases.

Every loss returns `(loss, dW)`: the mean data loss over the N examples plus the L2 penalty
`reg * sum(W * W)`, as a 0-dim tensor, and its gradient with respect to `W`, shaped like `W`.
Everything works on the device and floating dtype of its inputs; nothing moves between devices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, float], tuple[torch.Tensor, torch.Tensor]]


def append_ones(X: torch.Tensor) -> torch.Tensor:
    """The bias trick: (N, D) -> (N, D + 1), a column of ones appended on the right."""
    return torch.cat([X, X.new_ones(X.shape[0], 1)], dim=1)


# --------------------------------------------------------------------------- SVM loss


def svm_loss_naive(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, reg: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Multiclass SVM loss and its gradient, one example and one class at a time.

    For example i with scores s = X[i] @ W, the data loss is
    `sum over j != y[i] of max(0, s[j] - s[y[i]] + 1)`. Average it over the N examples and add
    `reg * sum(W * W)`. Loop over examples and, inside, over classes; accumulate dW as you go
    (each positive margin adds X[i] to column j of dW and subtracts X[i] from column y[i]).

    Args:
        W: (D, C) weights.  X: (N, D) examples.  y: (N,) int64 labels.  reg: L2 strength.
    Returns:
        loss: 0-dim tensor.  dW: (D, C), the gradient of the loss with respect to W.
    """
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = W.new_zeros(())
    dW = torch.zeros_like(W)  # (D, C)
    # YOUR CODE HERE
    raise NotImplementedError('svm_loss_naive: write your code here')
    return loss, dW


def svm_loss_vectorized(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, reg: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The same SVM loss and gradient as `svm_loss_naive`, with no Python loop.

    Compute every margin at once as an (N, C) matrix; the gradient is one matrix product of
    `X.T` with an (N, C) matrix of coefficients. Not allowed: `torch.nn` (its losses included)
    and autograd (`.backward()`, `torch.autograd`). Shapes as in `svm_loss_naive`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('svm_loss_vectorized: write your code here')
    return loss, dW


# --------------------------------------------------------------------------- softmax loss


def softmax_loss_naive(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, reg: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax (cross-entropy) loss and its gradient, one example and one class at a time.

    With scores s = X[i] @ W and probabilities p = exp(s) / sum(exp(s)), the data loss of
    example i is `-log p[y[i]]`; average over the examples and add `reg * sum(W * W)`. The
    gradient of example i with respect to column j of W is `(p[j] - [j == y[i]]) * X[i]`.

    Keep it stable: subtracting the largest score from all scores first changes neither p nor
    the loss, and keeps `exp` from overflowing (scores of 10,000 must give a finite, exact loss).

    Shapes as in `svm_loss_naive`.
    """
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = W.new_zeros(())
    dW = torch.zeros_like(W)  # (D, C)
    # YOUR CODE HERE
    raise NotImplementedError('softmax_loss_naive: write your code here')
    return loss, dW


def softmax_loss_vectorized(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, reg: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The same softmax loss and gradient as `softmax_loss_naive`, with no Python loop.

    Not allowed: `torch.nn` (its losses and `softmax` included), `torch.softmax`,
    `torch.log_softmax`, `torch.logsumexp` and their `Tensor` and `torch.special` versions, and
    autograd. Shapes as in `svm_loss_naive`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('softmax_loss_vectorized: write your code here')
    return loss, dW


# --------------------------------------------------------------------------- training


def sample_batch(
    X: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random minibatch: `batch_size` rows of X drawn at random, with their labels.

    Draw the row indices with `generator` (a CPU generator; None means torch's global one), with
    or without replacement, then move them to X's device.
    Returns:
        X_batch: (batch_size, D) and y_batch: (batch_size,), with y_batch[k] the label of X_batch[k].
    """
    # YOUR CODE HERE
    raise NotImplementedError('sample_batch: write your code here')


class LinearClassifier:
    """A linear classifier `scores = X @ W` trained by minibatch stochastic gradient descent.

    Args:
        loss_fn: one of the losses above, `loss_fn(W, X, y, reg) -> (loss, dW)`.
        num_features: D (including the bias column).  num_classes: C.
        weight_scale, seed: W starts as `weight_scale * randn(D, C)`, drawn from `seed`.
        dtype, device: where W lives; the data you train on must match.
    """

    def __init__(
        self,
        loss_fn: LossFn,
        num_features: int,
        num_classes: int,
        *,
        weight_scale: float = 1e-3,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
    ):
        self.loss_fn = loss_fn
        generator = torch.Generator().manual_seed(seed)
        self.W = (weight_scale * torch.randn(num_features, num_classes, generator=generator, dtype=dtype)).to(device)

    def train(
        self,
        X: torch.Tensor,
        y: torch.Tensor,
        *,
        learning_rate: float = 1e-3,
        reg: float = 1e-5,
        num_iters: int = 100,
        batch_size: int = 200,
        generator: torch.Generator | None = None,
        verbose: bool = False,
    ) -> list[float]:
        """Run `num_iters` steps of SGD on self.W and return the loss of every step.

        Each step draws a minibatch with `sample_batch(X, y, batch_size, generator)`, computes
        `self.loss_fn(self.W, X_batch, y_batch, reg)` and moves W by `-learning_rate * dW`.
        Args:
            X: (N, D) training examples.  y: (N,) int64 labels.
        Returns:
            loss_history: `num_iters` Python floats, the minibatch loss before each update.
        """
        loss_history: list[float] = []
        # YOUR CODE HERE
        raise NotImplementedError('train: write your code here')
        return loss_history

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Predicted labels, (N,) int64: the class with the highest score for each row of X (N, D)."""
        # YOUR CODE HERE
        raise NotImplementedError('predict: write your code here')

    def accuracy(self, X: torch.Tensor, y: torch.Tensor) -> float:
        """Fraction of the rows of X (N, D) whose predicted label equals y (N,)."""
        return (self.predict(X) == y).double().mean().item()


def search_hyperparameters(
    loss_fn: LossFn,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    learning_rates: Sequence[float],
    regs: Sequence[float],
    *,
    num_iters: int,
    batch_size: int = 200,
    seed: int = 0,
) -> tuple[dict[tuple[float, float], tuple[float, float]], LinearClassifier]:
    """Train one classifier for every (learning rate, reg) pair; keep the best on validation.

    `data` is `(X_train, y_train, X_val, y_val)`. For each pair, build a fresh
    `LinearClassifier(loss_fn, D, C, seed=seed, dtype=..., device=...)` matching X_train (C is
    one more than the largest training label), train it on the training split only (with a
    generator seeded with `seed`), and measure its accuracy on both splits.
    Returns:
        results: maps each `(learning_rate, reg)` to `(train_accuracy, val_accuracy)`.
        best: the trained classifier with the highest validation accuracy (the first on a tie).
    """
    X_train, y_train, X_val, y_val = data
    num_classes = int(y_train.max()) + 1
    results: dict[tuple[float, float], tuple[float, float]] = {}
    best, best_val = None, -1.0
    # YOUR CODE HERE
    raise NotImplementedError('search_hyperparameters: write your code here')
    return results, best


def weight_images(W: torch.Tensor, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """The learned weights of each class as an image, for display.

    Drops the bias row (the last row of W, from the bias trick), gives each class its own
    (C_img, H, W_img) image and rescales each one to [0, 1] on its own.
    Args:
        W: (D + 1, C) with D = C_img * H * W_img.  image_shape: (C_img, H, W_img).
    Returns:
        (C, C_img, H, W_img) tensor with values in [0, 1], on W's device.
    """
    images = W[:-1].T.reshape(W.shape[1], *image_shape)  # (C, C_img, H, W_img)
    low = images.amin(dim=(1, 2, 3), keepdim=True)
    high = images.amax(dim=(1, 2, 3), keepdim=True)
    return (images - low) / (high - low).clamp_min(1e-12)
