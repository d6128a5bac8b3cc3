"""Convolutional networks built from conv_layers.py and layers.py (assignment a2, notebook
convolutional_networks).

Both networks follow the model protocol of `dl4cv.solver.Solver`: `params` is a dict of tensors,
`loss(X)` returns class scores (N, C) and `loss(X, y)` returns `(loss, grads)`, the mean softmax
loss plus the L2 penalty `reg * sum(W ** 2)` over every weight `W*` (biases, gammas and betas are
not penalised), with `grads` holding the same keys and shapes as `params`. Inputs are images
(N, C, H, W) on the parameters' device and dtype. Backward passes are written by hand: no
autograd, no torch.nn.
"""

from __future__ import annotations

import functools
import math

import torch

import conv_layers
import layers


def kaiming_init(
    fan_in_channels: int,
    fan_out: int,
    filter_size: int | None = None,
    *,
    relu: bool = True,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Random weights that keep the size of activations steady from layer to layer.

    Each weight is drawn from N(0, gain / fan_in), fan_in being the number of inputs one output
    unit adds up, and gain = 2 before a ReLU (which zeroes half of its inputs) and 1 otherwise.

    Args:
        fan_in_channels: D_in, the inputs of a linear layer or the input channels of a conv layer.
        fan_out: D_out, the outputs of a linear layer or the filters of a conv layer.
        filter_size: None for a linear layer, K for a conv layer of K x K filters.
        generator: a CPU generator for the draw (the result is then moved to `device`).
    Returns:
        (D_in, D_out) for a linear layer (fan_in = D_in), or (D_out, D_in, K, K) for a conv layer
        (fan_in = D_in * K * K).
    """
    # YOUR CODE HERE
    raise NotImplementedError('kaiming_init: write your code here')


def _scaled_normal(scale: float, *shape: int, generator: torch.Generator, dtype: torch.dtype, device) -> torch.Tensor:
    """`scale` times standard normal draws of the given shape, drawn on the CPU, then moved."""
    return (scale * torch.randn(shape, generator=generator, dtype=dtype)).to(device)


def _generator(seed: int | None) -> torch.Generator:
    gen = torch.Generator()
    if seed is None:
        gen.seed()  # a fresh random seed, leaving torch's global generator alone
        return gen
    return gen.manual_seed(seed)


class ThreeLayerConvNet:
    """conv - ReLU - 2x2 max pool - linear - ReLU - linear, with a softmax loss.

    The convolution keeps the image size (stride 1, zero padding (filter_size - 1) // 2 for an
    odd filter_size); the pool halves height and width.

    Args:
        input_dims: (C, H, W) of one image, H and W even.
        num_filters: F; filter_size: K (odd); hidden_dim: units of the hidden linear layer.
        weight_scale: standard deviation of the normal draws for W1, W2, W3; biases start at 0.
        reg, dtype, device: see the module docstring; seed: seeds the weights' CPU generator.

    Attributes:
        params: 'W1' (F, C, K, K), 'b1' (F,), 'W2' (F * H/2 * W/2, hidden_dim), 'b2'
        (hidden_dim,), 'W3' (hidden_dim, num_classes), 'b3' (num_classes,).
    """

    def __init__(
        self,
        input_dims: tuple[int, int, int] = (1, 28, 28),
        num_filters: int = 32,
        filter_size: int = 5,
        hidden_dim: int = 100,
        num_classes: int = 10,
        *,
        weight_scale: float = 1e-3,
        reg: float = 0.0,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        seed: int | None = None,
    ):
        self.reg, self.dtype, self.filter_size = reg, dtype, filter_size
        gen = _generator(seed)
        normal = functools.partial(_scaled_normal, weight_scale, generator=gen, dtype=dtype, device=device)
        self.params: dict[str, torch.Tensor] = {}
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def loss(self, X: torch.Tensor, y: torch.Tensor | None = None):
        """Scores (N, num_classes) when y is None, else (loss, grads); see the module docstring.

        Use the fast layers: `conv_layers.conv_relu_pool_forward`, `layers.linear_relu_forward`,
        `layers.linear_forward`, `layers.softmax_loss` and their backward passes.
        """
        conv_param = {"stride": 1, "pad": (self.filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        scores = None
        # YOUR CODE HERE
        raise NotImplementedError('loss: write your code here')
        if y is None:
            return scores

        loss, grads = 0.0, {}
        # YOUR CODE HERE
        raise NotImplementedError('loss: write your code here')
        return loss, grads


class DeepConvNet:
    """L - 1 conv blocks and a linear classifier:

        {conv 3x3 (stride 1, pad 1) - [spatial batch norm] - ReLU - [2x2 max pool]} x (L - 1)
        - linear

    Block i (counting from 0) is followed by a max pool when i is in `max_pools`.

    Args:
        input_dims: (C, H, W); H and W must stay even before every pool.
        num_filters: filters of each conv block, e.g. (16, 32, 32); L - 1 = len(num_filters).
        max_pools: indices of the blocks followed by a 2x2 max pool with stride 2.
        batchnorm: add spatial batch norm after every conv (params 'gamma_i' ones, 'beta_i' zeros).
        weight_scale: "kaiming" for `kaiming_init` (ReLU gain in the conv blocks, gain 1 for the
            final linear layer), or a float: the standard deviation of every weight's normal draw.
        reg, dtype, device: see the module docstring; seed: seeds the weights' CPU generator.

    Attributes:
        params: 'W1'...'W{L-1}' (F_i, F_{i-1}, 3, 3) with 'b_i' (F_i,), then 'W{L}' (F_{L-1} * H'
            * W', num_classes) and 'b{L}', where H', W' are the size after all pools.
        bn_params: one dict per conv block when batchnorm, else []; `loss` sets their "mode".
    """

    def __init__(
        self,
        input_dims: tuple[int, int, int] = (1, 28, 28),
        num_filters: tuple[int, ...] = (8, 8, 8, 8),
        max_pools: tuple[int, ...] = (0, 1),
        batchnorm: bool = False,
        num_classes: int = 10,
        *,
        weight_scale: float | str = "kaiming",
        reg: float = 0.0,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        seed: int | None = None,
    ):
        self.num_layers = len(num_filters) + 1
        self.max_pools = set(max_pools)
        self.batchnorm, self.reg, self.dtype = batchnorm, reg, dtype
        self.bn_params: list[dict] = [{"mode": "train"} for _ in num_filters] if batchnorm else []
        gen = _generator(seed)
        self.params: dict[str, torch.Tensor] = {}
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def loss(self, X: torch.Tensor, y: torch.Tensor | None = None):
        """Scores (N, num_classes) when y is None, else (loss, grads); see the module docstring.

        Batch norm runs in "test" mode when y is None and in "train" mode otherwise.
        """
        mode = "test" if y is None else "train"
        for bn_param in self.bn_params:
            bn_param["mode"] = mode
        conv_param = {"stride": 1, "pad": 1}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        scores = None
        # YOUR CODE HERE
        raise NotImplementedError('loss: write your code here')
        if y is None:
            return scores

        loss, grads = 0.0, {}
        # YOUR CODE HERE
        raise NotImplementedError('loss: write your code here')
        return loss, grads
