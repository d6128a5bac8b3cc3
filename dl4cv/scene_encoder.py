"""The course's scene encoder: a small convolutional network, trained once on train scenes and
shipped with the package, that turns a (3, 64, 64) scene into an (8, 8) grid of feature vectors.

The captioning notebooks start from these features, as image captioners start from a pretrained
CNN's: each grid cell's vector says which class, colour and size of item covers that part of the
canvas (the three heads it was trained with), and two extra channels give the cell's position,
so that "to the left of" can be read from the features too.

`python -m dl4cv.scene_encoder` retrains it with the fixed recipe below and rewrites the weights
file; `load_scene_encoder()` loads the shipped weights (no training, no network).
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from dl4cv import scenes as sc

WEIGHTS = Path(__file__).with_name("weights") / "scene_encoder.pt"
GRID = 8
CHANNELS = 64
FEATURE_DIM = CHANNELS + 2  # learned channels, then the cell's x and y in [-1, 1]
MIN_PIXELS = 4  # a grid cell belongs to the item that covers most of it, if at least this many pixels


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SceneEncoder(nn.Module):
    """(N, 3, 64, 64) scenes in [0, 1] -> (N, FEATURE_DIM, 8, 8) features.

    Trained with three 1x1 heads on the grid: class (background + 10), colour (none + 6) and
    size (none + 2); the heads are kept so the weights can be checked.
    """

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            _block(3, 32), _block(32, 32), nn.MaxPool2d(2),  # 32x32
            _block(32, 64), _block(64, 64), nn.MaxPool2d(2),  # 16x16
            _block(64, 128), nn.MaxPool2d(2),  # 8x8
            _block(128, 128), _block(128, CHANNELS),
        )  # fmt: skip
        self.heads = nn.ModuleDict({
            "label": nn.Conv2d(CHANNELS, len(sc.NOUNS) + 1, 1),
            "colour": nn.Conv2d(CHANNELS, len(sc.COLOURS) + 1, 1),
            "size": nn.Conv2d(CHANNELS, len(sc.SIZES) + 1, 1),
        })  # fmt: skip

    def grid(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, 64, 64) -> (N, CHANNELS, 8, 8) learned features."""
        return self.backbone(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, 64, 64) -> (N, FEATURE_DIM, 8, 8): learned features and each cell's (x, y)."""
        features = self.grid(images)
        n = features.shape[0]
        steps = torch.linspace(-1, 1, GRID, device=features.device, dtype=features.dtype)
        ys, xs = torch.meshgrid(steps, steps, indexing="ij")
        where = torch.stack([xs, ys]).expand(n, 2, GRID, GRID)
        return torch.cat([features, where], dim=1)


def item_cover(scenes: sc.Scenes) -> torch.Tensor:
    """(N, K + 1, 8, 8) float: how many pixels of each grid cell belong to the background
    (channel 0) and to each item k (channel k + 1)."""
    cell = sc.CANVAS // GRID
    one_hot = F.one_hot(scenes.instance_masks, sc.MAX_ITEMS + 1).permute(0, 3, 1, 2).float()  # (N, K+1, H, W)
    return F.avg_pool2d(one_hot, cell) * cell * cell


def grid_targets(scenes: sc.Scenes) -> dict[str, torch.Tensor]:
    """Per grid cell, the class + 1, colour + 1 and size + 1 of the item covering most of it
    (0 where no item covers MIN_PIXELS): int64 (N, 8, 8) each."""
    n = len(scenes)
    cover = item_cover(scenes)
    cover[:, 0] = MIN_PIXELS - 0.5  # background wins unless an item covers MIN_PIXELS
    winner = cover.argmax(1)  # (N, 8, 8): 0 background, j + 1 item j
    targets = {}
    for name, values in (("label", scenes.labels), ("colour", scenes.colours), ("size", scenes.sizes)):
        padded = torch.cat([torch.full((n, 1), -1, dtype=torch.int64), values], dim=1)  # (N, K+1)
        targets[name] = padded.gather(1, winner.flatten(1)).view(n, GRID, GRID) + 1
    return targets


def train_scene_encoder(*, scenes: int = 16_000, epochs: int = 6, seed: int = 0, log=print) -> SceneEncoder:
    """The fixed recipe: Adam, batch 64, cross-entropy summed over the three heads."""
    torch.manual_seed(seed)
    train = sc.load_scenes("train", scenes, seed=seed)
    targets = grid_targets(train)
    model = SceneEncoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = epochs * (len(train) // 64)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(len(train), generator=gen)
        model.train()
        for batch in order[: len(order) // 64 * 64].view(-1, 64):
            features = model.grid(train.images[batch])
            loss = sum(F.cross_entropy(head(features), targets[name][batch]) for name, head in model.heads.items())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        log(f"epoch {epoch + 1}: loss {loss.item():.3f} ({time.perf_counter() - start:.0f} s)")
    return model.eval()


@torch.no_grad()
def grid_accuracy(model: SceneEncoder, scenes: sc.Scenes) -> dict[str, float]:
    """Per-head accuracy on the grid cells that an item covers."""
    features = model.grid(scenes.images)
    targets = grid_targets(scenes)
    covered = targets["label"] > 0
    return {name: float((head(features).argmax(1) == targets[name])[covered].float().mean())
            for name, head in model.heads.items()}  # fmt: skip


@torch.no_grad()
def object_accuracy(model: SceneEncoder, scenes: sc.Scenes) -> float:
    """Per-object class accuracy: each item's class read from the label head's probabilities
    summed over the grid cells it covers, weighted by its pixels there."""
    probabilities = model.heads["label"](model.grid(scenes.images)).softmax(1)[:, 1:]  # (N, 10, 8, 8)
    cover = item_cover(scenes)
    right = total = 0
    for k in range(sc.MAX_ITEMS):
        present = scenes.counts > k
        votes = (probabilities * cover[:, k + 1, None]).sum((2, 3))  # (N, 10)
        right += int(((votes.argmax(1) == scenes.labels[:, k]) & present).sum())
        total += int(present.sum())
    return right / total


@lru_cache(maxsize=1)
def load_scene_encoder() -> SceneEncoder:
    """The shipped encoder, in eval mode, on the CPU (move it with `.to(device)`)."""
    model = SceneEncoder()
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    return model.eval().requires_grad_(False)


@torch.no_grad()
def scene_features(scenes: sc.Scenes, *, device: torch.device | str = "cpu", batch_size: int = 512) -> torch.Tensor:
    """(N, FEATURE_DIM, 8, 8) float32 features of every scene, computed in batches on `device`."""
    model = load_scene_encoder().to(device)
    parts = [model(scenes.images[i:i + batch_size].to(device)) for i in range(0, len(scenes), batch_size)]
    return torch.cat(parts)


def main() -> None:
    model = train_scene_encoder()
    print("val grid accuracy:", grid_accuracy(model, sc.load_scenes("val", 2000, seed=0)))
    WEIGHTS.parent.mkdir(exist_ok=True)
    torch.save(model.state_dict(), WEIGHTS)
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
