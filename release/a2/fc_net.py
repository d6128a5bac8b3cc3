"""A fully connected network of any depth, built from the layers in `layers.py` (assignment a2,
notebook fully_connected_networks).

With L = len(hidden_dims) + 1 layers, every hidden layer i = 1, ..., L - 1 computes

    linear (W_i, b_i) -> [batchnorm or layernorm (gamma_i, beta_i)] -> ReLU -> [dropout]

and the last layer is a plain linear layer giving C class scores, trained with the softmax loss
plus the L2 penalty `reg * sum_i sum(W_i ** 2)` (biases, gammas and betas are not penalised).

The normalisation and dropout steps are written for you: they call `batchnorm.py` and
`dropout.py`, which you implement in the batch_normalization and dropout notebooks. In this
notebook the network runs without them (normalization=None, dropout=0).
"""

from __future__ import annotations

import math

import torch

import batchnorm
import dropout as dropout_layer
import layers


class FullyConnectedNet:
    """An L-layer fully connected network with ReLUs and a softmax loss.

    Args:
        hidden_dims: sizes of the L - 1 hidden layers, e.g. [256, 128].
        input_dim: D, the length of one flattened input.
        num_classes: C.
        dropout: probability of zeroing a hidden unit; 0 means no dropout.
        normalization: None, "batchnorm" or "layernorm".
        reg: L2 strength (see the module docstring).
        weight_scale: a float s, every W_i drawn from N(0, s^2) (s = 0 gives all-zero weights);
            or "he", W_i drawn from N(0, 2 / fan_in) with fan_in = W_i.shape[0].
        dtype, device: of every parameter.
        seed: seeds the CPU generator used for the weights; when given, dropout also uses it,
            so the dropout mask is the same on every call (handy for gradient checks only).

    Attributes:
        params: 'W1' (D, H_1), 'b1' (H_1,), ..., 'WL' (H_{L-1}, C), 'bL' (C,); with
            normalisation also 'gamma_i' (ones) and 'beta_i' (zeros), (H_i,), for i < L.
        bn_params: one dict per hidden layer (normalisation state); [] without normalisation.
        dropout_param: dict for `dropout_forward` ("p", "mode", maybe "seed").
    """

    def __init__(
        self,
        hidden_dims,
        input_dim: int = 784,
        num_classes: int = 10,
        *,
        dropout: float = 0.0,
        normalization: str | None = None,
        reg: float = 0.0,
        weight_scale: float | str = 1e-2,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        seed: int | None = None,
    ):
        if normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError(f"normalization must be None, 'batchnorm' or 'layernorm', got {normalization!r}")
        self.normalization = normalization
        self.use_dropout = dropout > 0
        self.reg = reg
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params: dict[str, torch.Tensor] = {}
        # Fill self.params with W_i of shape (dims[i-1], dims[i]), drawn as the docstring says
        # (torch.randn(..., generator=generator, dtype=dtype) on the CPU, then .to(device)),
        # and b_i of shape (dims[i],), zeros, for i = 1, ..., L.
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')
        if normalization is not None:  # given: scale and shift of every hidden layer's normalisation
            for i in range(1, self.num_layers):
                self.params[f"gamma{i}"] = torch.ones(dims[i], dtype=dtype, device=device)
                self.params[f"beta{i}"] = torch.zeros(dims[i], dtype=dtype, device=device)

        self.dropout_param: dict = {"mode": "train", "p": dropout}
        if seed is not None:
            self.dropout_param["seed"] = seed
        self.bn_params: list[dict] = []
        if normalization is not None:
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

    def _hidden_forward(self, x: torch.Tensor, i: int):
        """Hidden layer i (1-based): linear -> [norm] -> ReLU -> [dropout].

        x: (N, ...) input; returns out (N, H_i) and a cache for `_hidden_backward`.
        """
        linear_cache = norm_cache = relu_cache = dropout_cache = None
        # Step 1: the linear layer with W_i, b_i: its output `a` and its cache `linear_cache`.
        a = None
        # YOUR CODE HERE
        raise NotImplementedError('_hidden_forward: write your code here')
        if self.normalization is not None:  # given: you write these functions later in a2
            norm_forward = batchnorm.batchnorm_forward if self.normalization == "batchnorm" else batchnorm.layernorm_forward
            a, norm_cache = norm_forward(a, self.params[f"gamma{i}"], self.params[f"beta{i}"], self.bn_params[i - 1])
        # Step 2: the ReLU of `a`: its output `out` and its cache `relu_cache`.
        out = None
        # YOUR CODE HERE
        raise NotImplementedError('_hidden_forward: write your code here')
        if self.use_dropout:  # given
            out, dropout_cache = dropout_layer.dropout_forward(out, self.dropout_param)
        return out, (linear_cache, norm_cache, relu_cache, dropout_cache)

    def _hidden_backward(self, dout: torch.Tensor, cache, i: int):
        """Backward pass of hidden layer i: returns dx and a dict of this layer's gradients."""
        linear_cache, norm_cache, relu_cache, dropout_cache = cache
        grads: dict[str, torch.Tensor] = {}
        if self.use_dropout:  # given
            dout = dropout_layer.dropout_backward(dout, dropout_cache)
        # Step 1: back through the ReLU; call the result `da`.
        da = None
        # YOUR CODE HERE
        raise NotImplementedError('_hidden_backward: write your code here')
        if self.normalization is not None:  # given
            norm_backward = batchnorm.batchnorm_backward if self.normalization == "batchnorm" else batchnorm.layernorm_backward
            da, grads[f"gamma{i}"], grads[f"beta{i}"] = norm_backward(da, norm_cache)
        # Step 2: back through the linear layer: dx, grads["W{i}"], grads["b{i}"].
        dx = None
        # YOUR CODE HERE
        raise NotImplementedError('_hidden_backward: write your code here')
        return dx, grads

    def loss(self, X: torch.Tensor, y: torch.Tensor | None = None):
        """Class scores (y is None, test mode), or the loss and its gradients (training mode).

        Args:
            X: (N, d_1, ..., d_k) inputs with D = d_1 * ... * d_k, the parameters' dtype/device.
            y: (N,) int64 labels in 0..C-1, or None.
        Returns:
            y is None: scores (N, C).
            Otherwise (loss, grads): loss a 0-dim tensor (mean softmax loss plus the L2 penalty);
            grads a dict with the keys and shapes of self.params.
        """
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        # Forward pass: hidden layers 1..L-1 with _hidden_forward, then the last linear layer.
        # Keep every layer's cache in `caches` for the backward pass.
        scores, caches = None, []
        # YOUR CODE HERE
        raise NotImplementedError('loss: write your code here')
        if y is None:
            return scores

        # Loss and backward pass: softmax loss, the L2 penalty on every W_i, and the gradient of
        # every parameter (the last layer with layers.linear_backward, the others with
        # _hidden_backward, from the last layer to the first).
        loss, grads = None, {}
        # YOUR CODE HERE
        raise NotImplementedError('loss: write your code here')
        return loss, grads
