"""Pascal VOC detection in the shape of the course's scenes: the online data of a5 `object_detection`.

`load_voc` reads VOC from `<data root>/voc` with torchvision's `VOCDetection`, which downloads it
there first unless `DL4CV_OFFLINE=1`; offline and without a copy it raises `DatasetNotFoundError`
saying what was tried. Images are resized (not cropped) to size × size and the boxes with them.
VOC writes boxes as 1-based, inclusive pixel indices (xmin, ymin, xmax, ymax); here they become
the course's xyxy with exclusive ends: (xmin − 1, ymin − 1, xmax, ymax), then scaled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from dl4cv import data

VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog",
    "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip


@dataclass
class VocDetection:
    """N resized VOC images with their objects; K is the most objects in one image.

    images: float32 (N, 3, size, size) in [0, 1]
    boxes:  float32 (N, K, 4) xyxy in pixels of the resized image, exclusive ends; padding 0
    labels: int64 (N, K) index into VOC_CLASSES; padding −1
    names:  the N image ids
    """

    images: torch.Tensor
    boxes: torch.Tensor
    labels: torch.Tensor
    names: list[str]

    def __len__(self) -> int:
        return len(self.images)


def annotation_to_tensors(annotation: dict, *, keep_difficult: bool = False) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int]]:
    """One image's annotation as torchvision's `VOCDetection` parses it → boxes (G, 4) xyxy with
    exclusive ends in the original pixels, labels (G,), and the image's (width, height). Objects
    marked difficult are left out unless `keep_difficult`."""
    fields = annotation["annotation"]
    objects = fields.get("object", [])
    objects = objects if isinstance(objects, list) else [objects]
    boxes, labels = [], []
    for item in objects:
        if item.get("difficult", "0") == "1" and not keep_difficult:
            continue
        name = item["name"].strip()
        if name not in VOC_CLASSES:
            raise ValueError(f"VOC annotation names an unknown class {name!r}")
        box = item["bndbox"]
        xmin, ymin, xmax, ymax = (float(box[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
        boxes.append([xmin - 1, ymin - 1, xmax, ymax])
        labels.append(VOC_CLASSES.index(name))
    size = (int(fields["size"]["width"]), int(fields["size"]["height"]))
    return torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4), torch.tensor(labels, dtype=torch.int64), size


def load_voc(image_set: str = "val", *, year: str = "2012", size: int = 64, count: int | None = None,
             root: Path | None = None) -> VocDetection:  # fmt: skip
    """The first `count` images (all by default) of a VOC `image_set` ("train", "val",
    "trainval"), resized to size × size, as a `VocDetection`."""
    from torchvision.datasets import VOCDetection
    from torchvision.transforms.functional import pil_to_tensor

    root = Path(root) if root is not None else data.data_root() / "voc"
    tried: list[str] = []

    def open_dataset(download: bool) -> VOCDetection:
        return VOCDetection(str(root), year=year, image_set=image_set, download=download)

    try:
        dataset = open_dataset(download=False)
    except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
        tried.append(f"{root}/VOCdevkit/VOC{year}: {' '.join(str(error).split())}")
        if not data._try_download(tried, data.is_offline(), lambda: open_dataset(download=True), "torchvision.datasets.VOCDetection"):
            raise data._not_found(f"Pascal VOC {year} ({image_set})", tried) from None
        dataset = open_dataset(download=False)
    chosen = range(len(dataset) if count is None else min(count, len(dataset)))
    images, all_boxes, all_labels, names = [], [], [], []
    for index in chosen:
        picture, annotation = dataset[index]
        pixels = pil_to_tensor(picture.convert("RGB")).float().div(255)
        boxes, labels, (width, height) = annotation_to_tensors(annotation)
        images.append(F.interpolate(pixels[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0])
        all_boxes.append(boxes * torch.tensor([size / width, size / height] * 2))
        all_labels.append(labels)
        names.append(annotation["annotation"].get("filename", str(index)))
    most = max((len(labels) for labels in all_labels), default=0)
    boxes = torch.zeros(len(images), most, 4)
    labels = torch.full((len(images), most), -1, dtype=torch.int64)
    for n, (b, l) in enumerate(zip(all_boxes, all_labels)):
        boxes[n, : len(l)], labels[n, : len(l)] = b, l
    return VocDetection(torch.stack(images) if images else torch.zeros(0, 3, size, size), boxes, labels, names)
