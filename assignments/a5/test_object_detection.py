"""What the hidden tests of a5 `object_detection` cannot check: the release raises a clear
NotImplementedError wherever students must write code, and the given detector, augmentation,
post-processing, ground-truth lists and mAP bookkeeping do what the notebook says. Every check of
the reference solution itself is a hidden test of the notebook, proven by its simulated class
(`dl4cv prove a5 --notebook object_detection`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "a5" / "object_detection.py"


@pytest.fixture(scope="module")
def released():
    return load_module(RELEASE)


BOX = torch.tensor([[1.0, 2.0, 5.0, 6.0]])


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: m.box_xyxy_to_cxcywh(BOX), "box_xyxy_to_cxcywh"),
        (lambda m: m.box_cxcywh_to_xyxy(BOX), "box_cxcywh_to_xyxy"),
        (lambda m: m.pairwise_iou(BOX, BOX), "pairwise_iou"),
        (lambda m: m.nms(BOX, torch.ones(1), 0.5), "nms"),
        (lambda m: m.batched_nms(BOX, torch.ones(1), torch.zeros(1, dtype=torch.int64), 0.5), "batched_nms"),
        (lambda m: m.encode_targets(BOX[None], torch.zeros(1, 1, dtype=torch.int64)), "encode_targets"),
        (lambda m: m.decode_boxes(torch.zeros(1, 8, 8, 4)), "decode_boxes"),
        (lambda m: m.detection_loss(torch.zeros(1, 8, 8, 15), torch.zeros(1, 8, 8), torch.zeros(1, 8, 8, 4),
                                    torch.full((1, 8, 8), -1)), "detection_loss"),
        (lambda m: m.match_detections(BOX, BOX, 0.5), "match_detections"),
        (lambda m: m.average_precision(torch.ones(1, dtype=torch.bool), 1), "average_precision"),
    ],
)
def test_released_functions_are_stubs(released, call, name):
    with pytest.raises(NotImplementedError, match=f"{name}: write your code here"):
        call(released)


def test_detector_gives_every_cell_five_numbers_and_the_classes(released):
    torch.manual_seed(0)
    out = released.GridDetector()(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, released.GRID, released.GRID, 5 + released.CLASSES)
    assert released.GRID * released.CELL == released.CANVAS


def test_mirroring_moves_an_object_to_the_mirrored_cell(released):
    images = torch.zeros(1, 3, 64, 64)
    images[0, :, 10:20, 3:9] = 1
    objectness = torch.zeros(1, 8, 8)
    objectness[0, 1, 0] = 1
    boxes = torch.zeros(1, 8, 8, 4)
    boxes[0, 1, 0] = torch.tensor([0.75, 0.875, 6 / 64, 10 / 64])  # box (3, 10, 9, 20): centre (6, 15)
    classes = torch.full((1, 8, 8), -1)
    classes[0, 1, 0] = 4
    flipped, obj, box, cls = released.flip_horizontally(images, objectness, boxes, classes)
    # Mirrored, the box is (55, 10, 61, 20): centre x 58, cell 7, offset 0.25.
    assert flipped[0, 0, 10:20, 55:61].all() and flipped.sum() == images.sum()
    assert obj[0, 1, 7] == 1 and obj.sum() == 1 and cls[0, 1, 7] == 4
    assert torch.allclose(box[0, 1, 7], torch.tensor([0.25, 0.875, 6 / 64, 10 / 64]))


def test_scene_targets_drop_padding(released):
    boxes = torch.tensor([[[1.0, 1.0, 5.0, 5.0], [0.0, 0.0, 0.0, 0.0]], [[2.0, 2.0, 9.0, 9.0], [3.0, 3.0, 4.0, 4.0]]])
    labels = torch.tensor([[7, -1], [1, 2]])
    targets = released.scene_targets(boxes, labels)
    assert [t["labels"].tolist() for t in targets] == [[7], [1, 2]] and targets[0]["boxes"].shape == (1, 4)


def test_map_bookkeeping_with_exact_parts(released, monkeypatch):
    """With exact matching and AP written here, the given mean_average_precision scores a perfect
    set of detections 1, a class with ground truth but no detections 0, and ignores classes
    without ground truth."""
    from torchvision.ops import box_iou

    def match(boxes, truth, threshold):
        taken, flags = set(), []
        iou = box_iou(boxes, truth) if len(boxes) and len(truth) else torch.zeros(len(boxes), len(truth))
        for d in range(len(boxes)):
            free = [g for g in range(len(truth)) if g not in taken and iou[d, g] >= threshold]
            best = max(free, key=lambda g: iou[d, g], default=None)
            if best is not None:
                taken.add(best)
            flags.append(best is not None)
        return torch.tensor(flags, dtype=torch.bool)

    def ap(flags, count):
        hits = flags.double().cumsum(0)
        recall, precision = hits / count, hits / torch.arange(1, len(flags) + 1)
        precision = precision.flip(0).cummax(0).values.flip(0)
        first = torch.searchsorted(recall, released.RECALL_LEVELS)
        return torch.cat([precision, torch.zeros(1, dtype=torch.float64)])[first].mean()

    monkeypatch.setattr(released, "match_detections", match)
    monkeypatch.setattr(released, "average_precision", ap)
    truth = [{"boxes": torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]]), "labels": torch.tensor([1, 2])}]
    perfect = [{"boxes": truth[0]["boxes"], "scores": torch.tensor([0.9, 0.8]), "labels": torch.tensor([1, 2])}]
    assert released.mean_average_precision(perfect, truth) == 1.0
    missing = [{"boxes": truth[0]["boxes"][:1], "scores": torch.tensor([0.9]), "labels": torch.tensor([1])}]
    assert released.mean_average_precision(missing, truth) == 0.5  # class 2 has truth and no detection
    extra = [{"boxes": torch.cat([truth[0]["boxes"], truth[0]["boxes"][:1]]), "scores": torch.tensor([0.9, 0.8, 0.7]),
              "labels": torch.tensor([1, 2, 5])}]
    assert released.mean_average_precision(extra, truth) == 1.0  # class 5 has no ground truth: not averaged
