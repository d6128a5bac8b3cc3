"""Networks written with PyTorch (assignment a2, notebook pytorch).

Part 1 builds one small convnet at three levels of the PyTorch API:

    conv3x3(in -> C1, pad 1) - ReLU - maxpool 2x2 - conv3x3(C1 -> C2, pad 1) - ReLU - maxpool 2x2
    - flatten - linear(C2 * (S // 4) ** 2 -> num_classes)

for square images of side S (a multiple of 4): bare tensors with autograd, an `nn.Module`
subclass and an `nn.Sequential`. Given the same weights, all three compute the same scores.

Part 2 builds residual networks: a plain block, a residual block, a bottleneck block and a small
ResNet made of them. Every 3x3 and 1x1 convolution of the blocks has `bias=False` (a batch norm
follows each one), and every `nn.BatchNorm2d` has the default learnable scale and shift.

Everything follows the device and dtype of its inputs; nothing here calls `.cuda()`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------- part 1: three API levels


def init_bare_params(
    in_channels: int = 1,
    channels: tuple[int, int] = (16, 32),
    image_size: int = 28,
    num_classes: int = 10,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Weights of the small convnet as bare leaf tensors that autograd tracks.

    Weights are drawn from a normal distribution with standard deviation sqrt(2 / fan_in)
    (Kaiming/He initialisation; fan_in = in_channels * 3 * 3 for a conv, the input length for the
    linear layer); biases start at zero. Draw on the CPU with `generator`, then move to `device`.

    Returns:
        dict with the keys and shapes PyTorch's own layers use, so that
        `SmallConvNet.load_state_dict` accepts it:
        'conv1.weight' (C1, in_channels, 3, 3), 'conv1.bias' (C1,),
        'conv2.weight' (C2, C1, 3, 3), 'conv2.bias' (C2,),
        'fc.weight' (num_classes, C2 * (image_size // 4) ** 2), 'fc.bias' (num_classes,).
        Every tensor is a leaf with `requires_grad=True`, of the given device and dtype.
    """
    c1, c2 = channels
    fc_in = c2 * (image_size // 4) ** 2
    # YOUR CODE HERE
    raise NotImplementedError('init_bare_params: write your code here')
    return params


def bare_forward(x: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Scores of the small convnet from bare tensors.

    Use functions only (`torch.nn.functional.conv2d`, `relu`, `max_pool2d`, `linear` or a matrix
    product); no `nn.Module` objects.

    Args:
        x: (N, in_channels, S, S) images.
        params: the dict from `init_bare_params`.
    Returns:
        scores: (N, num_classes).
    """
    # YOUR CODE HERE
    raise NotImplementedError('bare_forward: write your code here')
    return scores


def sgd_step(params: dict[str, torch.Tensor], learning_rate: float) -> None:
    """One plain gradient-descent step, in place, after `loss.backward()`.

    Every tensor `p` becomes `p - learning_rate * p.grad` WITHOUT autograd recording the update
    (so `p` stays the same leaf tensor), and its gradient is then cleared (set to None or zeroed)
    so the next `backward()` does not add onto it. Do not use `torch.optim`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('sgd_step: write your code here')


class SmallConvNet(nn.Module):
    """The small convnet as an `nn.Module` with layers `conv1`, `conv2` (nn.Conv2d) and `fc`
    (nn.Linear), so its `state_dict` has the keys of `init_bare_params`.

    forward: (N, in_channels, S, S) -> (N, num_classes).
    """

    def __init__(self, in_channels: int = 1, channels: tuple[int, int] = (16, 32), image_size: int = 28, num_classes: int = 10):
        super().__init__()
        c1, c2 = channels
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


def small_convnet_sequential(
    in_channels: int = 1, channels: tuple[int, int] = (16, 32), image_size: int = 28, num_classes: int = 10
) -> nn.Sequential:
    """The small convnet as one `nn.Sequential` of eight layers, in this order:
    Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten, Linear.

    Its `parameters()` come in the order conv1 weight, conv1 bias, conv2 weight, conv2 bias, fc
    weight, fc bias, with the shapes of `init_bare_params`.
    """
    c1, c2 = channels
    # YOUR CODE HERE
    raise NotImplementedError('small_convnet_sequential: write your code here')


# ---------------------------------------------------------------------------- part 2: residual networks


def conv_bn(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> list[nn.Module]:
    """[Conv2d (no bias, 'same' padding for odd kernels), BatchNorm2d]: the unit every block repeats."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=False)
    return [conv, nn.BatchNorm2d(out_channels)]


class PlainBlock(nn.Module):
    """Two 3x3 convolutions without a shortcut:
    conv3x3(stride) - BN - ReLU - conv3x3 - BN - ReLU, held in `self.body` (nn.Sequential).

    forward: (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


def make_shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """The shortcut of a residual block: `nn.Identity()` when the shape does not change
    (stride 1 and in_channels == out_channels), otherwise a 1x1 projection
    `nn.Sequential(Conv2d(in, out, 1, stride, bias=False), BatchNorm2d(out))`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('make_shortcut: write your code here')


class ResidualBlock(nn.Module):
    """`relu(residual(x) + shortcut(x))` with
    `self.residual` = conv3x3(stride) - BN - ReLU - conv3x3 - BN (nn.Sequential) and
    `self.shortcut` = `make_shortcut(in_channels, out_channels, stride)`.

    forward: (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


class BottleneckBlock(nn.Module):
    """A residual block whose branch squeezes the channels to `mid = out_channels // ratio`:
    `self.residual` = conv1x1(in -> mid) - BN - ReLU - conv3x3(mid -> mid, stride) - BN - ReLU
    - conv1x1(mid -> out) - BN; `self.shortcut` = `make_shortcut(...)`; output
    `relu(residual(x) + shortcut(x))`.

    forward: (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, ratio: int = 4):
        super().__init__()
        mid = out_channels // ratio
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


class SmallResNet(nn.Module):
    """stem - stages - head.

    stem: conv3x3(in_channels -> widths[0], stride 1, bias=False) - BN - ReLU (`self.stem`).
    stages (`self.stages`, one nn.Sequential of all blocks): stage i holds `blocks[i]` blocks of
        type `block` with `widths[i]` output channels; the first block of every stage but the
        first has stride 2, all others stride 1.
    head (`self.head`): global average pool - flatten - dropout(p=dropout) - linear(widths[-1] ->
        num_classes).

    forward: (N, in_channels, H, W) -> (N, num_classes) scores.
    """

    def __init__(
        self,
        block: type[nn.Module] = ResidualBlock,
        widths: tuple[int, ...] = (16, 32, 64),
        blocks: tuple[int, ...] = (1, 1, 1),
        in_channels: int = 1,
        num_classes: int = 10,
        dropout: float = 0.0,
    ):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


def count_parameters(model: nn.Module) -> int:
    """Number of learnable numbers in `model`."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------- part 3: the challenge


def build_challenge_model(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    """Your best model for the challenge: (N, in_channels, H, W) -> (N, num_classes) scores.

    The notebook trains it, saves its `state_dict`, and the test rebuilds it with this function
    and loads the checkpoint, so it must build the same architecture every time.
    """
    # YOUR CODE HERE
    raise NotImplementedError('build_challenge_model: write your code here')
