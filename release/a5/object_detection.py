"""a5 · Object detection: what students write for the `object_detection` notebook.

Boxes are (x1, y1, x2, y2) in pixels, the "xyxy" format of `torchvision.ops` (x2 and y2 are
exclusive: a box from pixel 3 to pixel 7 inclusive is (3, ·, 8, ·) and 5 pixels wide), unless a
name says "cxcywh": (centre x, centre y, width, height). The detector looks at a 64 × 64 scene
through a GRID × GRID grid of 8-pixel cells; its output on a batch is (N, GRID, GRID, 5 + C):
for every cell an objectness logit, four box numbers and C class logits.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

CANVAS = 64  # the scenes are CANVAS × CANVAS pixels
GRID = 8  # cells per side
CELL = CANVAS // GRID  # pixels per cell side
CLASSES = 10  # Fashion-MNIST classes
#: Recall levels at which COCO samples the precision-recall curve: 0, 0.01, ..., 1 (float64
#: copies of torch's float32 linspace, exactly the levels torchmetrics hands to COCO's evaluation).
RECALL_LEVELS = torch.linspace(0.0, 1.0, 101).double()
#: COCO's IoU thresholds 0.5, 0.55, ..., 0.95, made the same way.
COCO_IOU_THRESHOLDS = tuple(torch.linspace(0.5, 0.95, 10).tolist())

# ---------------------------------------------------------------------------------------------
# 1. Boxes


def box_xyxy_to_cxcywh(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) xyxy → (..., 4) cxcywh."""
    # YOUR CODE HERE
    raise NotImplementedError('box_xyxy_to_cxcywh: write your code here')


def box_cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) cxcywh → (..., 4) xyxy."""
    # YOUR CODE HERE
    raise NotImplementedError('box_cxcywh_to_xyxy: write your code here')


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Given: (..., 4) xyxy → (...) areas (x2 − x1) · (y2 − y1)."""
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def pairwise_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """(N, 4) and (M, 4) xyxy → (N, M) intersection over union of every pair; no loops."""
    # YOUR CODE HERE
    raise NotImplementedError('pairwise_iou: write your code here')


# ---------------------------------------------------------------------------------------------
# 2. Non-maximum suppression


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression. boxes (N, 4) xyxy, scores (N,) → int64 indices of the boxes
    kept, by decreasing score: repeatedly keep the best remaining box and drop every remaining box
    whose IoU with it is above `iou_threshold`. The one loop allowed is over kept boxes."""
    # YOUR CODE HERE
    raise NotImplementedError('nms: write your code here')


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """NMS within each class: a box only suppresses boxes of its own label. Same output as `nms`
    (indices into the inputs, by decreasing score). One call of `nms`, no loop over classes."""
    # YOUR CODE HERE
    raise NotImplementedError('batched_nms: write your code here')


# ---------------------------------------------------------------------------------------------
# 3. Grid targets and the detector


def encode_targets(boxes: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What the detector should output for each cell, for a batch of scenes.

    boxes (N, K, 4) xyxy and labels (N, K) int64, with label −1 for padding. Each object belongs to
    the cell holding its box centre (row = ⌊cy / CELL⌋, column = ⌊cx / CELL⌋). Returns
      objectness  (N, GRID, GRID) float: 1 in an object's cell, 0 elsewhere;
      box_targets (N, GRID, GRID, 4) float: in an object's cell (cx / CELL − column,
                  cy / CELL − row, w / CANVAS, h / CANVAS), each in [0, 1]; 0 elsewhere;
      classes     (N, GRID, GRID) int64: the object's label in its cell, −1 elsewhere.
    The scenes never put two centres in one cell. No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('encode_targets: write your code here')


def decode_boxes(raw: torch.Tensor) -> torch.Tensor:
    """The detector's four box numbers (N, GRID, GRID, 4), logits t, → xyxy boxes (N, GRID, GRID, 4)
    in pixels: for the cell at (row, column), cx = (column + σ(t₀)) · CELL,
    cy = (row + σ(t₁)) · CELL, w = σ(t₂) · CANVAS, h = σ(t₃) · CANVAS. No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('decode_boxes: write your code here')


def detection_loss(output: torch.Tensor, objectness: torch.Tensor, box_targets: torch.Tensor, classes: torch.Tensor,
                   box_weight: float = 5.0) -> torch.Tensor:  # fmt: skip
    """The one-stage detector's loss, a scalar. output (N, GRID, GRID, 5 + C) as the detector returns it;
    the targets as `encode_targets` makes them.

      binary cross-entropy of the objectness logits (channel 0) against `objectness`, mean over every cell
    + box_weight · mean over object cells of Σ over the 4 numbers of (σ(output[..., 1:5]) − box_targets)²
    + cross-entropy of the class logits (channels 5 on) against `classes`, mean over object cells.
    """
    # YOUR CODE HERE
    raise NotImplementedError('detection_loss: write your code here')


def _block(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU())


class GridDetector(nn.Module):
    """Given: a one-stage detector. Three 3 × 3 conv blocks each followed by 2 × 2 max pooling take
    (N, 3, 64, 64) scenes to an (8, 8) grid of features; one more block, then a 1 × 1 convolution,
    gives each cell 5 + C numbers. forward returns (N, GRID, GRID, 5 + C)."""

    def __init__(self, widths: tuple[int, int, int, int] = (16, 32, 64, 64), classes: int = CLASSES):
        super().__init__()
        a, b, c, d = widths
        self.body = nn.Sequential(_block(3, a), nn.MaxPool2d(2), _block(a, b), nn.MaxPool2d(2), _block(b, c), nn.MaxPool2d(2), _block(c, d))
        self.head = nn.Conv2d(d, 5 + classes, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(images)).permute(0, 2, 3, 1)


def flip_horizontally(images: torch.Tensor, objectness: torch.Tensor, box_targets: torch.Tensor,
                      classes: torch.Tensor) -> tuple[torch.Tensor, ...]:  # fmt: skip
    """Given: mirrored scenes and their grid targets (columns reversed, centre offsets 1 − x)."""
    mirrored = box_targets.flip(2).clone()
    mirrored[..., 0] = torch.where(objectness.flip(2) > 0, 1 - mirrored[..., 0], mirrored[..., 0])
    return images.flip(-1), objectness.flip(2), mirrored, classes.flip(2)


def train_detector(model: nn.Module, images: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor, *, epochs: int,
                   batch_size: int = 64, learning_rate: float = 3e-3, seed: int = 0) -> list[float]:  # fmt: skip
    """Given: Adam with a one-cycle learning rate on `detection_loss`, half of each batch mirrored.
    images (N, 3, 64, 64); boxes and labels as `encode_targets` takes them. Trains on the model's
    device; returns the loss of every step."""
    device = next(model.parameters()).device
    targets = encode_targets(boxes, labels)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate, total_steps=steps)
    losses = []
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(images), generator=generator).split(batch_size):
            parts = [images[batch], *(t[batch] for t in targets)]
            flipped = flip_horizontally(*parts)
            mirror = torch.rand(len(batch), generator=generator) < 0.5
            parts = [torch.where(mirror.view(-1, *[1] * (p.dim() - 1)), f, p).to(device) for p, f in zip(parts, flipped)]
            loss = detection_loss(model(parts[0]), *parts[1:])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def detect(model: nn.Module, images: torch.Tensor, *, score_threshold: float = 0.05, iou_threshold: float = 0.5,
           batch_size: int = 256) -> list[dict[str, torch.Tensor]]:  # fmt: skip
    """Given: detections for each of the (N, 3, 64, 64) images: a dict of `boxes` (D, 4) xyxy,
    `scores` (D,) and `labels` (D,), by decreasing score, on the CPU. A cell proposes its box once
    for every class c whose score σ(objectness) · P(c) is above `score_threshold`, as detectors
    scored on COCO do: when the best class is wrong, the runner-up still counts, at a lower score.
    Then `batched_nms`, so a cell's guesses of different classes do not suppress each other."""
    device = next(model.parameters()).device
    model.eval()
    results = []
    for start in range(0, len(images), batch_size):
        output = model(images[start:start + batch_size].to(device)).cpu()
        boxes = decode_boxes(output[..., 1:5]).flatten(1, 2)
        scores = (torch.sigmoid(output[..., :1]) * torch.softmax(output[..., 5:], dim=-1)).flatten(1, 2)
        for image_boxes, image_scores in zip(boxes, scores):
            cell, label = (image_scores > score_threshold).nonzero(as_tuple=True)
            b, s = image_boxes[cell], image_scores[cell, label]
            kept = batched_nms(b, s, label, iou_threshold)
            results.append({"boxes": b[kept], "scores": s[kept], "labels": label[kept]})
    return results


def scene_targets(boxes: torch.Tensor, labels: torch.Tensor) -> list[dict[str, torch.Tensor]]:
    """Given: the ground truth of each scene as a dict of `boxes` (G, 4) and `labels` (G,), padding removed."""
    return [{"boxes": b[l >= 0], "labels": l[l >= 0]} for b, l in zip(boxes, labels)]


# ---------------------------------------------------------------------------------------------
# 4. Mean average precision, as COCO computes it


def match_detections(boxes: torch.Tensor, ground_truth: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Which detections of one class in one image are true positives. boxes (D, 4) sorted by
    decreasing score, ground_truth (G, 4) → (D,) bool.

    In score order, each detection takes, among the ground-truth boxes not yet taken, the one it
    overlaps most, provided that IoU is at least `iou_threshold` (a true positive); otherwise it is
    a false positive. A loop over detections is expected; none over ground-truth boxes."""
    # YOUR CODE HERE
    raise NotImplementedError('match_detections: write your code here')


def average_precision(true_positive: torch.Tensor, ground_truth_count: int) -> torch.Tensor:
    """COCO's average precision of one class. true_positive (D,) bool for detections sorted by
    decreasing score (all images together); ground_truth_count > 0 → a float64 scalar.

    Precision and recall after each detection; precision made non-increasing from the right
    (each value replaced by the best precision at that recall or beyond); then the mean, over the
    101 levels r of RECALL_LEVELS, of the precision at the first detection whose recall reaches r
    (0 where recall never reaches r). No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('average_precision: write your code here')


def mean_average_precision(predictions: list[dict[str, torch.Tensor]], targets: list[dict[str, torch.Tensor]],
                           iou_thresholds=(0.5,), max_detections: int = 100) -> float:  # fmt: skip
    """Given: COCO's mean average precision over classes (those with ground truth) and over the
    IoU thresholds, from `match_detections` and `average_precision`. `predictions` and `targets`
    hold one dict per image, as `detect` and `scene_targets` return them. Per image and class the
    best `max_detections` detections count."""
    classes = sorted({int(c) for t in targets for c in t["labels"]})
    per_threshold = []
    for threshold in iou_thresholds:
        per_class = []
        for c in classes:
            flags, scores, count = [], [], 0
            for prediction, target in zip(predictions, targets):
                # IoU in float64, as COCO's evaluation computes it: float32 rounding could move an
                # IoU across a threshold.
                truth = target["boxes"][target["labels"] == c].double()
                count += len(truth)
                mine = prediction["labels"] == c
                order = prediction["scores"][mine].argsort(descending=True, stable=True)[:max_detections]
                flags.append(match_detections(prediction["boxes"][mine][order].double(), truth, threshold))
                scores.append(prediction["scores"][mine][order])
            flags, scores = torch.cat(flags), torch.cat(scores)
            order = scores.argsort(descending=True, stable=True)
            per_class.append(float(average_precision(flags[order], count)))
        per_threshold.append(sum(per_class) / len(per_class))
    return sum(per_threshold) / len(per_threshold)
