"""Simulated students of a5 `object_detection`: one correct solution written differently and broken
ones, each handing in only object_detection.ipynb; `dl4cv prove a5 --notebook object_detection`
grades them and checks each scores exactly as listed. A mistake in a building block also costs the
cells built on it (IoU feeds NMS and matching; the targets, decoding and loss feed the trained
detector; matching and AP feed the comparison with torchmetrics). Two students carry two
independent mistakes each, which saves notebook runs."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "object_detection.py"
NOTEBOOK = ("object_detection",)
P = "a5_object_detection_"

TO_CXCYWH = """    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)
"""
TO_XYXY = """    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)
"""
IOU = """    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    overlap = (bottom_right - top_left).clamp(min=0)
    intersection = overlap[..., 0] * overlap[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - intersection
    return intersection / union
"""
NMS = """    order = scores.argsort(descending=True)
    overlaps = pairwise_iou(boxes[order], boxes[order])
    alive = torch.ones(len(order), dtype=torch.bool, device=boxes.device)
    kept = []
    while alive.any():
        best = int(alive.nonzero()[0, 0])
        kept.append(best)
        alive &= overlaps[best] <= iou_threshold
        alive[best] = False
    return order[torch.tensor(kept, dtype=torch.int64, device=boxes.device)]
"""
BATCHED = """    offsets = labels.to(boxes.dtype) * (boxes.max() - boxes.min() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)
"""
ENCODE_TARGETS = """    box_targets[scene, row, column] = torch.stack([cx / CELL - column, cy / CELL - row, w / CANVAS, h / CANVAS], dim=-1)
"""
DECODE = """    steps = torch.arange(GRID, dtype=raw.dtype, device=raw.device)
    fractions = torch.sigmoid(raw)
    cx = (steps.view(1, 1, GRID) + fractions[..., 0]) * CELL
    cy = (steps.view(1, GRID, 1) + fractions[..., 1]) * CELL
"""
LOSS = """    has_object = objectness > 0
    objectness_loss = F.binary_cross_entropy_with_logits(output[..., 0], objectness)
    box_loss = ((torch.sigmoid(output[..., 1:5][has_object]) - box_targets[has_object]) ** 2).sum(-1).mean()
    class_loss = F.cross_entropy(output[..., 5:][has_object], classes[has_object])
    return objectness_loss + box_weight * box_loss + class_loss
"""
MATCH = """    for d in range(len(boxes)):
        candidates = torch.where(free, overlaps[d], torch.full_like(overlaps[d], -1.0))
        best = int(candidates.argmax())
        if candidates[best] >= iou_threshold:
            matched[d] = True
            free[best] = False
"""
ENVELOPE = "    precision = precision.flip(0).cummax(0).values.flip(0)\n"
AP_LOOKUP = """    first = torch.searchsorted(recall, levels)  # first index with recall >= level
    padded = torch.cat([precision, torch.zeros(1, dtype=torch.float64, device=precision.device)])
    return padded[first].mean()
"""

STUDENTS = [
    SimulatedStudent(
        "detection_alt_correct",
        "written differently: conversions from slices and torch.cat, IoU from explicit widths and "
        "heights, NMS over a shrinking list of candidates, classes separated by a fixed offset past "
        "twice the largest coordinate, targets written with index_put_, decoding from a meshgrid, the "
        "objectness loss from logsigmoid, matching that masks taken ground truth with -inf, and AP "
        "looked up with torch.where instead of padding",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, TO_CXCYWH,
                 "    size = boxes[..., 2:] - boxes[..., :2]\n"
                 "    return torch.cat([boxes[..., :2] + size / 2, size], dim=-1)\n"),
            Edit(MODULE, TO_XYXY,
                 "    half = boxes[..., 2:] / 2\n"
                 "    return torch.cat([boxes[..., :2] - half, boxes[..., :2] + half], dim=-1)\n"),
            Edit(MODULE, IOU,
                 "    width = (torch.min(boxes1[:, 2:3], boxes2[:, 2].unsqueeze(0)) - torch.max(boxes1[:, 0:1], boxes2[:, 0].unsqueeze(0))).clamp_min(0)\n"
                 "    height = (torch.min(boxes1[:, 3:4], boxes2[:, 3].unsqueeze(0)) - torch.max(boxes1[:, 1:2], boxes2[:, 1].unsqueeze(0))).clamp_min(0)\n"
                 "    inter = width * height\n"
                 "    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])\n"
                 "    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])\n"
                 "    return inter / (area1.unsqueeze(1) + area2.unsqueeze(0) - inter)\n"),
            Edit(MODULE, NMS,
                 "    candidates = scores.argsort(descending=True)\n"
                 "    kept = []\n"
                 "    while len(candidates) > 0:\n"
                 "        top = candidates[0]\n"
                 "        kept.append(top)\n"
                 "        rest = candidates[1:]\n"
                 "        overlap = pairwise_iou(boxes[top].unsqueeze(0), boxes[rest])[0]\n"
                 "        candidates = rest[overlap <= iou_threshold]\n"
                 "    return torch.stack(kept) if kept else torch.zeros(0, dtype=torch.int64, device=boxes.device)\n"),
            Edit(MODULE, BATCHED,
                 "    shift = (2 * boxes.abs().max() + 1) * labels.to(boxes.dtype)\n"
                 "    return nms(boxes + shift.unsqueeze(1), scores, iou_threshold)\n"),
            Edit(MODULE, """    objectness[scene, row, column] = 1
    box_targets[scene, row, column] = torch.stack([cx / CELL - column, cy / CELL - row, w / CANVAS, h / CANVAS], dim=-1)
    classes[scene, row, column] = labels[scene, item]
""", """    where = (scene, row, column)
    objectness.index_put_(where, torch.ones_like(cx))
    box_targets.index_put_(where, torch.stack([cx / CELL - column, cy / CELL - row, w / CANVAS, h / CANVAS], dim=-1))
    classes.index_put_(where, labels[scene, item])
"""),
            Edit(MODULE, DECODE,
                 "    rows, columns = torch.meshgrid(torch.arange(GRID, device=raw.device), torch.arange(GRID, device=raw.device), indexing=\"ij\")\n"
                 "    fractions = raw.sigmoid()\n"
                 "    cx = (columns.to(raw.dtype) + fractions[..., 0]) * CELL\n"
                 "    cy = (rows.to(raw.dtype) + fractions[..., 1]) * CELL\n"),
            Edit(MODULE, "    objectness_loss = F.binary_cross_entropy_with_logits(output[..., 0], objectness)\n",
                 "    logits = output[..., 0]\n"
                 "    objectness_loss = -(objectness * F.logsigmoid(logits) + (1 - objectness) * F.logsigmoid(-logits)).mean()\n"),
            Edit(MODULE, "        candidates = torch.where(free, overlaps[d], torch.full_like(overlaps[d], -1.0))\n",
                 "        candidates = overlaps[d].masked_fill(~free, float(\"-inf\"))\n"),
            Edit(MODULE, AP_LOOKUP,
                 "    first = torch.searchsorted(recall, levels)\n"
                 "    reached = first < len(precision)\n"
                 "    values = precision[first.clamp(max=max(len(precision) - 1, 0))] if len(precision) else torch.zeros_like(levels)\n"
                 "    return torch.where(reached, values, torch.zeros_like(levels)).mean()\n"),
        ),
    ),
    SimulatedStudent(
        "iou_with_plus_one",
        "IoU with the inclusive-pixel convention: one pixel added to every width and height, so "
        "every overlap is too large (and NMS and matching built on it go wrong too)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, IOU,
                    "    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])\n"
                    "    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])\n"
                    "    overlap = (bottom_right - top_left + 1).clamp(min=0)\n"
                    "    intersection = overlap[..., 0] * overlap[..., 1]\n"
                    "    area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)\n"
                    "    area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)\n"
                    "    return intersection / (area1[:, None] + area2[None, :] - intersection)\n"),),
        loses=(f"{P}pairwise_iou", f"{P}nms", f"{P}batched_nms", f"{P}match_detections", f"{P}map_matches_torchmetrics"),
    ),
    SimulatedStudent(
        "nms_across_classes_and_no_precision_envelope",
        "batched NMS that ignores the labels, so a box suppresses boxes of other classes; and "
        "average precision read from the raw precision curve, never made non-increasing",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, BATCHED, "    return nms(boxes, scores, iou_threshold)\n"),
               Edit(MODULE, ENVELOPE, "")),
        loses=(f"{P}batched_nms", f"{P}average_precision", f"{P}map_matches_torchmetrics"),
    ),
    SimulatedStudent(
        "targets_relative_to_canvas",
        "box-centre targets as fractions of the whole canvas instead of offsets inside the cell, "
        "which the decoding cannot undo: the trained detector's boxes land in the wrong places",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, ENCODE_TARGETS,
                    "    box_targets[scene, row, column] = torch.stack([cx / CANVAS, cy / CANVAS, w / CANVAS, h / CANVAS], dim=-1)\n"),),
        loses=(f"{P}encode_targets", f"{P}detector_trains"),
    ),
    SimulatedStudent(
        "decoding_rows_and_columns_swapped_and_ground_truth_reused",
        "decoding that takes the column index from the first grid axis and the row from the second; "
        "and matching that lets several detections take the same ground-truth box",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, DECODE,
                    "    steps = torch.arange(GRID, dtype=raw.dtype, device=raw.device)\n"
                    "    fractions = torch.sigmoid(raw)\n"
                    "    cx = (steps.view(1, GRID, 1) + fractions[..., 0]) * CELL\n"
                    "    cy = (steps.view(1, 1, GRID) + fractions[..., 1]) * CELL\n"),
               Edit(MODULE, "            free[best] = False\n", "")),
        loses=(f"{P}decode_boxes", f"{P}detector_trains", f"{P}match_detections", f"{P}map_matches_torchmetrics"),
    ),
    SimulatedStudent(
        "box_loss_on_raw_outputs",
        "the box loss compares the raw box outputs with the targets, forgetting the sigmoid that "
        "the decoding applies",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    box_loss = ((torch.sigmoid(output[..., 1:5][has_object]) - box_targets[has_object]) ** 2).sum(-1).mean()\n",
                    "    box_loss = ((output[..., 1:5][has_object] - box_targets[has_object]) ** 2).sum(-1).mean()\n"),),
        loses=(f"{P}detection_loss", f"{P}detector_trains"),
    ),
]
