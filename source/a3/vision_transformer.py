"""A vision transformer (Dosovitskiy et al., 2021) for small grey images (assignment a3, notebook
transformer_captioning): cut the image into patches, embed each patch as a token, prepend a
learned class token, add learned position embeddings, run encoder layers from your
`transformer_layers.py`, and classify from the class token.
"""

from __future__ import annotations

import torch
from torch import nn

import transformer_layers


def patchify(images: torch.Tensor, patch: int) -> torch.Tensor:
    """Cut images into non-overlapping square patches, read row by row.

    Args:
        images: (N, C, H, W), H and W multiples of `patch`.
    Returns:
        (N, (H / patch) * (W / patch), C * patch * patch): patch k covers rows
        (k // (W / patch)) * patch onwards and columns (k % (W / patch)) * patch onwards, and its
        values are in the order of `images[n, :, rows, columns].flatten()` (channel, then row,
        then column).
    """
    N, C, H, W = images.shape
    if H % patch or W % patch:
        raise ValueError(f"patchify: a {H}x{W} image does not split into {patch}x{patch} patches")
    ### BEGIN SOLUTION
    grid = images.reshape(N, C, H // patch, patch, W // patch, patch)
    patches = grid.permute(0, 2, 4, 1, 3, 5).reshape(N, (H // patch) * (W // patch), C * patch * patch)
    ### END SOLUTION
    return patches


class VisionTransformer(nn.Module):
    """(N, C, H, W) images -> (N, classes) scores.

    Parameters: `embed` Linear(C * patch^2, D) for the patches; `class_token` (1, 1, D);
    `positions` (1, 1 + patches, D), one learned vector per token, the class token's first;
    `layers` of `EncoderLayer`; `norm` LayerNorm(D); `head` Linear(D, classes), which reads the
    class token's final vector.
    """

    def __init__(self, *, image_size: int = 28, channels: int = 1, patch: int = 4, classes: int = 10, dim: int = 64,
                 heads: int = 4, layers: int = 4, hidden: int = 128, dropout: float = 0.0):  # fmt: skip
        super().__init__()
        self.patch = patch
        tokens = (image_size // patch) ** 2
        self.embed = nn.Linear(channels * patch * patch, dim)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.positions = nn.Parameter(0.02 * torch.randn(1, 1 + tokens, dim))
        self.layers = nn.ModuleList(transformer_layers.EncoderLayer(dim, heads, hidden, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, images: torch.Tensor, *, return_attention: bool = False):
        """images (N, C, H, W) -> scores (N, classes); with `return_attention`, also a list of
        every layer's self-attention weights, each (N, heads, 1 + patches, 1 + patches)."""
        ### BEGIN SOLUTION
        tokens = self.embed(patchify(images, self.patch))  # (N, P, D)
        x = torch.cat([self.class_token.expand(len(tokens), -1, -1), tokens], dim=1) + self.positions
        attention = []
        for layer in self.layers:
            x, weights = layer(x)
            attention.append(weights)
        scores = self.head(self.norm(x[:, 0]))
        ### END SOLUTION
        return (scores, attention) if return_attention else scores


def train_classifier(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epochs: int,
                     batch_size: int = 128, lr: float = 2e-3, weight_decay: float = 0.05, shift: int = 0,
                     flip: bool = False, seed: int = 0, progress=None) -> list[float]:  # fmt: skip
    """Given: train an image classifier with AdamW, a one-cycle learning rate (warm up over the
    first 10% of the steps, then cosine decay) and label smoothing 0.1. Optional augmentation:
    random shifts of up to `shift` pixels, random horizontal flips (`flip`); a small transformer
    that underfits Fashion-MNIST in a few epochs learns faster without them.

    `images` (N, C, H, W) float, already normalised; `labels` int64 (N,); both on the model's
    device. `progress(epoch, mean_loss)`, when given, is called after every epoch. Returns the
    mean loss of every epoch.
    """
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = max(1, len(images) // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * steps_per_epoch, pct_start=0.1)
    background = images.amin()
    padded = nn.functional.pad(images, (shift,) * 4, value=float(background))
    height, width = images.shape[-2:]
    history = []
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(images), generator=gen).to(images.device)
        total = 0.0
        for step in range(steps_per_epoch):
            batch = order[step * batch_size:(step + 1) * batch_size]
            dy, dx = torch.randint(0, 2 * shift + 1, (2,), generator=gen).tolist()
            x = padded[batch, :, dy:dy + height, dx:dx + width]
            if flip and torch.rand((), generator=gen) < 0.5:
                x = x.flip(-1)
            loss = nn.functional.cross_entropy(model(x), labels[batch], label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        history.append(total / steps_per_epoch)
        if progress is not None:
            progress(epoch + 1, history[-1])
    model.eval()
    return history


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Given: the fraction of `images` whose highest score is their label."""
    model.eval()
    right = sum(int((model(images[i:i + batch_size]).argmax(1) == labels[i:i + batch_size]).sum())
                for i in range(0, len(images), batch_size))  # fmt: skip
    return right / max(1, len(images))
