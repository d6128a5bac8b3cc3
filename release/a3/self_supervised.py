"""Self-supervised learning (assignment a3, notebook self_supervised): SimCLR on Fashion-MNIST
(two augmented views of each image should embed close together and far from every other image)
and a tiny CLIP that learns images and captions of scenes in one embedding space, so that a
prompt such as "a red sneaker" classifies images it never saw labelled.

Images are (N, C, H, W) in [0, 1]; embeddings (N, D); captions int64 (N, L) word indices of
`dl4cv.scenes.Vocabulary` with <NULL> = 0 as padding.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from dl4cv import scenes

# ---------------------------------------------------------------------------------------------
# SimCLR


def augment(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Given: a random view of every image at once, (N, C, H, W) -> the same shape.

    Each image gets its own random crop of 35-100% of its area (aspect 3:4 to 4:3) resized back
    to full size, a horizontal flip half the time, a contrast factor in [0.6, 1.4] and a
    brightness shift in [-0.2, 0.2], and a little Gaussian noise.
    """
    n, device = len(images), images.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator, device=device) * (high - low) + low

    area, log_ratio = uniform(0.35, 1.0), uniform(math.log(3 / 4), math.log(4 / 3))
    width, height = torch.sqrt(area * log_ratio.exp()).clamp(max=1), torch.sqrt(area / log_ratio.exp()).clamp(max=1)
    flip = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=device, dtype=images.dtype)
    theta[:, 0, 0], theta[:, 1, 1] = width * flip, height
    theta[:, 0, 2], theta[:, 1, 2] = uniform(-1, 1) * (1 - width), uniform(-1, 1) * (1 - height)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    views = F.grid_sample(images, grid, align_corners=False)
    contrast, brightness = uniform(0.6, 1.4).view(n, 1, 1, 1), uniform(-0.2, 0.2).view(n, 1, 1, 1)
    noise = torch.randn(images.shape, generator=generator, device=device, dtype=images.dtype)
    return ((views - 0.5) * contrast + 0.5 + brightness + 0.05 * noise).clamp(0, 1)


def small_encoder(channels: int = 1, width: int = 128) -> nn.Sequential:
    """Given: a small CNN, images (N, channels, H, W) -> features (N, width): five 3x3
    convolutions with batch norm and ReLU (two of stride 2), then a global average pool."""

    def block(inputs: int, outputs: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU()]

    half = width // 2
    return nn.Sequential(*block(channels, width // 4, 1), *block(width // 4, half, 2), *block(half, half, 1),
                         *block(half, width, 2), *block(width, width, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())  # fmt: skip


def projection_head(width: int = 128, out: int = 64) -> nn.Sequential:
    """Given: SimCLR's projection MLP, features (N, width) -> embeddings (N, out)."""
    return nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, out))


def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's normalised temperature-scaled cross-entropy, a scalar.

    z1, z2: (N, D) embeddings of two views of the same N images (row i of z1 and row i of z2
    are a positive pair). Stack them into 2N rows, scale every row to unit length, and let
    s(a, b) = cosine similarity / temperature. For each of the 2N rows a, with p its partner,

        loss(a) = -log( exp s(a, p) / sum over every b != a of exp s(a, b) ),

    and the result is the mean over the 2N rows. No loops; not torch.nn.functional.
    """
    # YOUR CODE HERE
    raise NotImplementedError('nt_xent_loss: write your code here')
    return loss


def simclr_loss(encoder: nn.Module, head: nn.Module, images: torch.Tensor,
                augment: Callable[[torch.Tensor], torch.Tensor], temperature: float) -> torch.Tensor:  # fmt: skip
    """The SimCLR loss of a batch of images (N, C, H, W): call `augment(images)` twice for two
    independent views, embed each with head(encoder(view)), and return nt_xent_loss of the
    two embeddings."""
    # YOUR CODE HERE
    raise NotImplementedError('simclr_loss: write your code here')
    return loss


def _step(optimizer: torch.optim.Optimizer, schedule: torch.optim.lr_scheduler.LRScheduler, loss: torch.Tensor) -> float:
    """One optimisation step on `loss` and one step of the schedule; returns the loss."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    return loss.item()


def train_simclr(encoder: nn.Module, head: nn.Module, images: torch.Tensor, *, epochs: int, batch_size: int = 256,
                 temperature: float = 0.5, learning_rate: float = 2e-3, seed: int = 0) -> list[float]:  # fmt: skip
    """Given: train encoder and head with `simclr_loss` (Adam, one-cycle schedule) on unlabelled
    images; returns the mean loss of each epoch."""
    generator = torch.Generator(device=images.device).manual_seed(seed)
    torch.manual_seed(seed)
    parameters = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=learning_rate)
    batches = len(images) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate, total_steps=epochs * batches, pct_start=0.1)
    encoder.train(), head.train()
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator, device=images.device)
        total = 0.0
        for b in range(batches):
            batch = images[order[b * batch_size:(b + 1) * batch_size]]
            total += _step(optimizer, schedule, simclr_loss(encoder, head, batch, lambda x: augment(x, generator), temperature))
        history.append(total / batches)
    encoder.eval(), head.eval()
    return history


@torch.no_grad()
def features_of(encoder: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Given: encoder(images) in eval mode, a chunk at a time, (N, ...) -> (N, D)."""
    encoder.eval()
    return torch.cat([encoder(images[k:k + batch_size]) for k in range(0, len(images), batch_size)])


def linear_probe(train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor,
                 classes: int, *, steps: int = 500, weight_decay: float = 1e-3) -> torch.Tensor:  # fmt: skip
    """Given: logistic regression on frozen, standardised features (Adam, full batch); returns
    the predicted classes of the test features, (M,)."""
    mean, std = train_features.mean(0), train_features.std(0) + 1e-6
    torch.manual_seed(0)
    head = nn.Linear(train_features.shape[1], classes).to(train_features.device)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-2, weight_decay=weight_decay)
    for _ in range(steps):
        loss = F.cross_entropy(head((train_features - mean) / std), train_labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return head((test_features - mean) / std).argmax(1)


def train_supervised(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epochs: int, batch_size: int = 64,
                     learning_rate: float = 2e-3, seed: int = 0) -> nn.Module:  # fmt: skip
    """Given: the baseline, a network trained on labelled images only, with the same
    augmentations as SimCLR (Adam, cross-entropy). Returns the model in eval mode."""
    generator = torch.Generator(device=images.device).manual_seed(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator, device=images.device)
        for b in range(0, len(images), batch_size):
            picked = order[b:b + batch_size]
            loss = F.cross_entropy(model(augment(images[picked], generator)), labels[picked])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


# ---------------------------------------------------------------------------------------------
# CLIP


class SceneImageEncoder(nn.Module):
    """Given: scenes (N, 3, 64, 64) -> embeddings (N, dim): four 3x3 convolutions with batch norm
    and ReLU (three of stride 2: 32 -> 64 -> 128 -> 128 channels on an 8x8 grid), a global
    average pool and a linear layer."""

    def __init__(self, dim: int = 64):
        super().__init__()
        layers: list[nn.Module] = []
        for inputs, outputs, stride in ((3, 32, 2), (32, 64, 2), (64, 128, 2), (128, 128, 1)):
            layers += [nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU()]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out = nn.Linear(128, dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(images))


class CaptionEncoder(nn.Module):
    """Given: captions int64 (N, L), <NULL> = 0 as padding -> embeddings (N, dim): word and
    position embeddings, two pre-norm transformer encoder layers (padding masked), the mean over
    the caption's words, a linear layer."""

    def __init__(self, vocabulary_size: int, dim: int = 64, length: int = 24, layers: int = 2, heads: int = 4):
        super().__init__()
        self.words = nn.Embedding(vocabulary_size, dim)
        self.positions = nn.Parameter(0.02 * torch.randn(length, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.out = nn.Linear(dim, dim)

    def forward(self, captions: torch.Tensor) -> torch.Tensor:
        padding = captions == 0
        hidden = self.encoder(self.words(captions) + self.positions[: captions.shape[1]], src_key_padding_mask=padding)
        kept = (~padding).to(hidden.dtype)[..., None]
        return self.out((hidden * kept).sum(1) / kept.sum(1))


def clip_loss(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """CLIP's symmetric contrastive loss, a scalar.

    image_embeddings, text_embeddings: (N, D), row i of each from the same scene. Scale every
    row to unit length; logits = exp(log_scale) * (cosine similarity of image i and text j),
    (N, N). The loss is the mean of the cross-entropy of each image's row (its text is the right
    class) and of each text's column (its image is the right class), each averaged over the N
    rows. No loops; not torch.nn.functional.
    """
    # YOUR CODE HERE
    raise NotImplementedError('clip_loss: write your code here')
    return loss


def train_clip(image_encoder: nn.Module, caption_encoder: nn.Module, images: torch.Tensor, captions: torch.Tensor, *,
               epochs: int, batch_size: int = 128, learning_rate: float = 2e-3, seed: int = 0) -> tuple[torch.Tensor, list[float]]:  # fmt: skip
    """Given: train both encoders and a learned log-scale (starting at log 10, capped at log 100)
    with `clip_loss`. images (N, 3, 64, 64); captions (N, K, L), K phrasings per scene, one drawn
    at random each time. Returns the log-scale and the mean loss of each epoch."""
    generator = torch.Generator(device=images.device).manual_seed(seed)
    torch.manual_seed(seed)
    log_scale = torch.tensor(math.log(10.0), device=images.device, requires_grad=True)
    parameters = list(image_encoder.parameters()) + list(caption_encoder.parameters()) + [log_scale]
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=1e-4)
    batches = len(images) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate, total_steps=epochs * batches, pct_start=0.1)
    image_encoder.train(), caption_encoder.train()
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator, device=images.device)
        total = 0.0
        for b in range(batches):
            picked = order[b * batch_size:(b + 1) * batch_size]
            phrasing = torch.randint(0, captions.shape[1], (len(picked),), generator=generator, device=images.device)
            total += _step(optimizer, schedule, clip_loss(image_encoder(images[picked]), caption_encoder(captions[picked, phrasing]),
                                                          log_scale))  # fmt: skip
            with torch.no_grad():
                log_scale.clamp_(max=math.log(100.0))
        history.append(total / batches)
    image_encoder.eval(), caption_encoder.eval()
    return log_scale.detach(), history


def captioned_pairs(scene_set: scenes.Scenes, vocabulary: scenes.Vocabulary, length: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    """Given: CLIP's training pairs, every scene and then every item of it shown alone
    (`scenes.isolate_items`): images (N + M, 3, 64, 64) and captions (N + M, 3, length), three
    phrasings of each."""
    parts = [scene_set, scenes.isolate_items(scene_set)]
    captions = []
    for part in parts:
        encoded, _ = scenes.encode_captions(part, vocabulary, length)
        captions.append(encoded.view(len(part), -1, length))
    return torch.cat([part.images for part in parts]), torch.cat(captions)


def zero_shot_scores(image_embeddings: torch.Tensor, prompt_embeddings: torch.Tensor) -> torch.Tensor:
    """The cosine similarity of every image with every prompt: (N, D), (P, D) -> (N, P). The
    prompt with the highest score is the zero-shot prediction. No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('zero_shot_scores: write your code here')
    return scores
