"""The course's Fashion-MNIST classifier: a small convolutional network, trained once with a fixed
recipe and shipped with the package, whose 128 penultimate features are the space in which
`dl4cv.frechet` compares generated images with real ones, and whose predictions say whether a
class-conditional sample shows the class it was asked for.

`python -m dl4cv.fashion_classifier` retrains it and rewrites the weights file;
`load_fashion_classifier()` loads the shipped weights (no training, no network).
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS = Path(__file__).with_name("weights") / "fashion_classifier.pt"
FEATURES = 128


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class FashionClassifier(nn.Module):
    """(N, 1, 28, 28) images in [0, 1] -> (N, 10) logits; `features` gives the (N, 128) vectors
    the logits are read from (after a ReLU, so they are the network's own description)."""

    num_features = FEATURES  # read by torchmetrics' FrechetInceptionDistance for a custom extractor

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(
            _block(1, 32), _block(32, 32), nn.MaxPool2d(2),  # 14x14
            _block(32, 64), _block(64, 64), nn.MaxPool2d(2),  # 7x7
            _block(64, FEATURES), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip
        self.head = nn.Linear(FEATURES, 10)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) in [0, 1] -> (N, 128)."""
        return self.trunk(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def train_fashion_classifier(*, epochs: int = 8, batch_size: int = 128, seed: int = 0, log=print) -> FashionClassifier:
    """The fixed recipe: all 60,000 training images, random shifts of up to 2 pixels and flips,
    AdamW with a one-cycle schedule, cross-entropy."""
    from dl4cv import data

    torch.manual_seed(seed)
    fashion = data.load_dataset("fashion-mnist")
    images, labels = fashion.x_train.float().div(255), fashion.y_train
    model = FashionClassifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    batches = len(images) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * batches)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        for batch in order[: batches * batch_size].view(batches, batch_size):
            loss = F.cross_entropy(model(_jitter(images[batch], generator)), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        log(f"epoch {epoch + 1}: loss {loss.item():.3f} ({time.perf_counter() - start:.0f} s)")
    return model.eval()


def _jitter(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The whole batch shifted by the same random 0-2 pixels (zero fill), flipped left-right
    with probability 1/2."""
    dy, dx = torch.randint(-2, 3, (2,), generator=generator).tolist()
    shifted = torch.roll(F.pad(images, (2, 2, 2, 2)), (dy, dx), dims=(2, 3))[..., 2:-2, 2:-2]
    return shifted.flip(3) if torch.rand((), generator=generator) < 0.5 else shifted


@lru_cache(maxsize=4)
def _load(device: str) -> FashionClassifier:
    model = FashionClassifier()
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.eval().to(device)


def load_fashion_classifier(device: torch.device | str = "cpu") -> FashionClassifier:
    """The shipped classifier in eval mode, frozen, on `device` (loaded once per device)."""
    return _load(str(torch.device(device)))


@torch.no_grad()
def accuracy_on_test_set(model: FashionClassifier, batch_size: int = 1000) -> float:
    """Accuracy on Fashion-MNIST's 10,000 test images."""
    from dl4cv import data

    fashion = data.load_dataset("fashion-mnist")
    device = next(model.parameters()).device
    right = 0
    for start in range(0, len(fashion.x_test), batch_size):
        images = fashion.x_test[start:start + batch_size].float().div(255).to(device)
        right += int((model(images).argmax(1).cpu() == fashion.y_test[start:start + batch_size]).sum())
    return right / len(fashion.x_test)


def main() -> None:
    model = train_fashion_classifier()
    print(f"test accuracy: {accuracy_on_test_set(model):.2%}")
    WEIGHTS.parent.mkdir(exist_ok=True)
    torch.save(model.state_dict(), WEIGHTS)
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
