"""What a trained classifier looks at (assignment a3, notebook network_visualization): saliency
maps, SmoothGrad, integrated gradients and Grad-CAM, each from gradients that autograd computes
for you. The classifier is frozen: take gradients with respect to the images (or a layer's
output), never change or accumulate into the model's parameters.

Shapes: images (N, C, H, W); labels int64 (N,), the class whose score is explained.
"""

from __future__ import annotations

import torch
from torch import nn


def class_scores(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Given: each image's score (logit) for its own label, (N,)."""
    return model(images).gather(1, labels[:, None])[:, 0]


def input_gradient(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The gradient of each image's class score with respect to its pixels, (N, C, H, W).

    The images given are not changed and need not require gradients; work on a copy that does.
    Images of a batch do not interact, so the gradient of the sum of the scores gives every
    image's own gradient.
    """
    # YOUR CODE HERE
    raise NotImplementedError('input_gradient: write your code here')
    return gradient


def saliency_map(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Simonyan et al. (2014): how much each pixel's change would move the class score, the
    absolute value of the input gradient, largest over the colour channels. (N, H, W)."""
    # YOUR CODE HERE
    raise NotImplementedError('saliency_map: write your code here')
    return saliency


def smoothgrad(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Smilkov et al. (2017): the saliency maps of noisy copies of the images, averaged.

    Args:
        noise: (S, N, C, H, W), S noise samples per image; copy s is `images + noise[s]`.
    Returns:
        (N, H, W): the mean over the S copies of their saliency maps. One batch of S * N images.
    """
    # YOUR CODE HERE
    raise NotImplementedError('smoothgrad: write your code here')
    return smoothed


def integrated_gradients(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, baseline: torch.Tensor,
                         steps: int = 32) -> torch.Tensor:  # fmt: skip
    """Sundararajan et al. (2017): (images - baseline) times the average gradient along the
    straight path from the baseline to the image, by the midpoint rule:

        IG = (x - x0) * (1 / steps) * sum_k grad f(x0 + a_k (x - x0)),   a_k = (k + 1/2) / steps.

    Args:
        baseline: broadcastable to the images (a black image, a blurred one ...).
    Returns:
        (N, C, H, W); summed over pixels it is close to f(x) - f(x0) (completeness).
    All `steps` points of every image go through the model as one batch.
    """
    # YOUR CODE HERE
    raise NotImplementedError('integrated_gradients: write your code here')
    return attributions


def grad_cam(model: nn.Module, layer: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Selvaraju et al. (2017): where in `layer`'s output (N, K, h, w) the class score's evidence
    lies. Each channel k is weighted by the mean over positions of the score's gradient with
    respect to it, the weighted channels are summed, and negative evidence is cut:

        cam = relu(sum_k w_k A_k),   w_k = mean_{i,j} dscore / dA_k[i, j].

    Returns (N, h, w). Reach the layer's output with a forward hook (`layer.register_forward_hook`),
    and remove the hook before returning.
    """
    # YOUR CODE HERE
    raise NotImplementedError('grad_cam: write your code here')
    return cam.detach()
