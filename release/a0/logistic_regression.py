"""Binary classifiers trained by hand-written gradient descent (assignment a0, notebook
logistic_regression).

Part 1 is logistic regression on images: `x` is (N, D) with one flattened image per row and
`y` is (N,) with float labels 0.0 or 1.0. Part 2 is a network with one hidden tanh layer on 2-D
points: `x` is (N, 2) (or (N, D)), `y` as before. Both models output the probability of label 1
and share the same cost.

Every function works on whatever device and floating dtype its inputs have; none moves data
between devices. Gradients are written out by hand: no autograd (`.backward()`,
`torch.autograd`) and nothing from `torch.nn.functional`.
"""

from __future__ import annotations

import math

import torch

Params = dict[str, torch.Tensor]


# --------------------------------------------------------------------------- data (given)


def binary_subset(
    images: torch.Tensor, labels: torch.Tensor, negative: int, positive: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The images of two classes, flattened and scaled to [0, 1], with labels 0.0 and 1.0.

    Args:
        images: (N, C, H, W) uint8 images; labels: (N,) int64 class indices.
        negative, positive: the class indices that become label 0.0 and label 1.0.
    Returns:
        x: (M, C*H*W) float32 in [0, 1]; y: (M,) float32, 1.0 where the class is `positive`.
    """
    keep = (labels == negative) | (labels == positive)  # (N,)
    x = images[keep].reshape(int(keep.sum()), -1).float() / 255  # (M, C*H*W)
    y = (labels[keep] == positive).float()  # (M,)
    return x, y


def make_planar(
    num_points: int = 400, *, petals: int = 4, twist: float = 2.0, noise: float = 0.2, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A 2-D "pinwheel": `petals` curved petals around the origin, with alternating labels.

    Each point draws an angle, which decides its petal and so its label. Petals are widest in
    the middle and turn by up to `twist` radians from the centre to the tip, so no straight line
    separates the labels. Gaussian noise of standard deviation `noise` blurs the edges.

    Returns:
        x: (num_points, 2) float32 points; y: (num_points,) float32 labels 0.0 or 1.0.
    """
    if petals < 2 or petals % 2:
        raise ValueError(f"petals must be an even number >= 2, got {petals}")
    gen = torch.Generator().manual_seed(seed)
    angle = torch.rand(num_points, generator=gen, dtype=torch.float64) * 2 * math.pi  # (N,)
    petal = torch.floor(angle * petals / (2 * math.pi))  # (N,) 0..petals-1
    y = (petal % 2).float()  # (N,)
    reach = 4 * torch.sin(angle * petals / 2).abs().sqrt()  # (N,) petal length at this angle
    radius = reach * torch.rand(num_points, generator=gen, dtype=torch.float64).sqrt()  # (N,)
    turned = angle + twist * radius / 4  # (N,)
    x = torch.stack([radius * turned.cos(), radius * turned.sin()], dim=1)  # (N, 2)
    x = x + noise * torch.randn(num_points, 2, generator=gen, dtype=torch.float64)
    return x.float(), y


# --------------------------------------------------------------------------- part 1: logistic regression


def initialize(num_features: int, *, dtype: torch.dtype = torch.float32, device=None) -> Params:
    """Logistic-regression parameters, all zeros.

    Returns:
        {"w": (num_features,) zeros, "b": () zero scalar tensor}, both of `dtype` on `device`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('initialize: write your code here')


def forward(params: Params, x: torch.Tensor) -> torch.Tensor:
    """Probability of label 1 for every row: `sigmoid(x @ w + b)`.

    Args:
        params: {"w": (D,), "b": ()}.
        x: (N, D) floating tensor.
    Returns:
        probs: (N,) values in [0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError('forward: write your code here')


def cost(probs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy `-mean(y * log(p) + (1 - y) * log(1 - p))`.

    A probability can round to exactly 0 or 1, and then `log` gives `-inf`, and `0 * -inf` is
    `nan`. Clamp both logarithms from below at -100 (as PyTorch does) so the cost stays finite.

    Args:
        probs: (N,) probabilities in [0, 1]; y: (N,) labels 0.0 or 1.0.
    Returns:
        A scalar tensor (shape ()), same dtype and device as `probs`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('cost: write your code here')


def gradients(params: Params, x: torch.Tensor, y: torch.Tensor) -> Params:
    """Gradients of `cost(forward(params, x), y)` with respect to `w` and `b`, by hand.

    The derivative of the cost with respect to the score `x @ w + b` of example i is
    `(p_i - y_i) / N`; the chain rule gives the rest.

    Args:
        params: {"w": (D,), "b": ()}; x: (N, D); y: (N,).
    Returns:
        {"w": (D,), "b": ()}, shaped like `params`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('gradients: write your code here')


def gradient_descent(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    learning_rate: float,
    num_iterations: int,
    print_every: int = 0,
) -> tuple[Params, list[float]]:
    """Full-batch gradient descent: `num_iterations` steps `p <- p - learning_rate * grad`.

    Does not change the tensors in `params`; returns new ones.

    Args:
        params: starting {"w": (D,), "b": ()}; x: (N, D); y: (N,).
        print_every: when > 0, print the cost every `print_every` iterations.
    Returns:
        (params, costs): the final parameters, and `costs[t]`, a Python float, the cost of the
        parameters at the start of iteration t (before its step), for t = 0..num_iterations-1.
    """
    costs: list[float] = []
    # YOUR CODE HERE
    raise NotImplementedError('gradient_descent: write your code here')
    return params, costs


def predict(params: Params, x: torch.Tensor) -> torch.Tensor:
    """Labels for the rows of `x` (N, D): 1 where `forward` gives a probability > 0.5, else 0.

    Returns:
        (N,) int64 on the device of `x`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('predict: write your code here')


# --------------------------------------------------------------------------- part 2: one hidden layer


def net_initialize(
    num_inputs: int,
    num_hidden: int,
    *,
    weight_scale: float = 0.5,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
    device=None,
) -> Params:
    """Parameters of a net with `num_hidden` tanh units and one sigmoid output.

    Weights are drawn from a normal distribution with mean 0 and standard deviation
    `weight_scale` (use `torch.randn(..., generator=generator)`: draw on the CPU, then move);
    biases start at zero.

    Returns:
        {"W1": (num_inputs, num_hidden), "b1": (num_hidden,), "W2": (num_hidden,), "b2": ()},
        all of `dtype` on `device`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('net_initialize: write your code here')


def net_forward(params: Params, x: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """Forward pass: `hidden = tanh(x @ W1 + b1)`, `probs = sigmoid(hidden @ W2 + b2)`.

    Args:
        params: as returned by `net_initialize`; x: (N, D).
    Returns:
        (probs, cache): probs (N,) in [0, 1]; cache, a dict holding whatever `net_backward`
        needs (at least the input "x" and the hidden activations "hidden", (N, H)).
    """
    # YOUR CODE HERE
    raise NotImplementedError('net_forward: write your code here')


def net_backward(params: Params, cache: dict, y: torch.Tensor) -> Params:
    """Gradients of `cost(probs, y)` with respect to every parameter, by hand.

    Args:
        params: the parameters `net_forward` used; cache: its cache; y: (N,) labels.
    Returns:
        A dict with the same keys and shapes as `params`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('net_backward: write your code here')


def net_update(params: Params, grads: Params, learning_rate: float) -> Params:
    """One gradient-descent step: new tensors `params[k] - learning_rate * grads[k]`."""
    # YOUR CODE HERE
    raise NotImplementedError('net_update: write your code here')


def net_train(
    x: torch.Tensor,
    y: torch.Tensor,
    num_hidden: int,
    *,
    learning_rate: float = 1.0,
    num_iterations: int = 2000,
    seed: int = 0,
    print_every: int = 0,
) -> tuple[Params, list[float]]:
    """Train a fresh net on (x, y) by full-batch gradient descent.

    Start from `net_initialize(D, num_hidden, generator=torch.Generator().manual_seed(seed))`
    with the dtype and device of `x`, then repeat forward, cost, backward, update.

    Returns:
        (params, costs): the trained parameters and one cost per iteration (Python floats,
        measured before that iteration's update).
    """
    costs: list[float] = []
    # YOUR CODE HERE
    raise NotImplementedError('net_train: write your code here')
    return params, costs


def net_predict(params: Params, x: torch.Tensor) -> torch.Tensor:
    """Labels (N,) int64: 1 where the net's probability is > 0.5, else 0."""
    # YOUR CODE HERE
    raise NotImplementedError('net_predict: write your code here')
