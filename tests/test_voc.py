"""dl4cv.voc on a tiny Pascal VOC folder written here in the real layout and XML format: the loader
torchvision uses online reads it, boxes become exclusive-end xyxy scaled with the image, difficult
objects are left out, and offline without a copy the error says what was tried."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from dl4cv import data, voc

XML = """<annotation>
  <folder>VOC2012</folder>
  <filename>{name}.jpg</filename>
  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>
  {objects}
</annotation>"""
OBJECT = """<object><name>{label}</name><pose>Unspecified</pose><truncated>0</truncated><difficult>{difficult}</difficult>
    <bndbox><xmin>{box[0]}</xmin><ymin>{box[1]}</ymin><xmax>{box[2]}</xmax><ymax>{box[3]}</ymax></bndbox></object>"""


def _write_voc(root, images):
    base = root / "VOCdevkit" / "VOC2012"
    for folder in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (base / folder).mkdir(parents=True)
    for name, (width, height), objects in images:
        Image.new("RGB", (width, height), (200, 30, 30)).save(base / "JPEGImages" / f"{name}.jpg")
        body = "\n".join(OBJECT.format(label=label, difficult=difficult, box=box) for label, box, difficult in objects)
        (base / "Annotations" / f"{name}.xml").write_text(XML.format(name=name, width=width, height=height, objects=body))
    (base / "ImageSets" / "Main" / "val.txt").write_text("".join(f"{name}\n" for name, _, _ in images))


def test_voc_images_and_boxes_are_resized_together(tmp_path):
    _write_voc(tmp_path, [
        ("2008_000001", (200, 100), [("dog", (1, 1, 100, 50), 0), ("person", (101, 51, 200, 100), 0), ("cat", (5, 5, 9, 9), 1)]),
        ("2008_000002", (64, 128), [("tvmonitor", (33, 65, 64, 128), 0)]),
    ])  # fmt: skip
    found = voc.load_voc("val", root=tmp_path, size=32)
    assert len(found) == 2 and found.images.shape == (2, 3, 32, 32) and found.names == ["2008_000001.jpg", "2008_000002.jpg"]
    assert found.labels.tolist() == [[voc.VOC_CLASSES.index("dog"), voc.VOC_CLASSES.index("person")], [voc.VOC_CLASSES.index("tvmonitor"), -1]]
    # Pixels 1..100 (1-based, inclusive) of a 200-wide image are [0, 100) exclusive: half the width.
    assert torch.allclose(found.boxes[0], torch.tensor([[0.0, 0.0, 16.0, 16.0], [16.0, 16.0, 32.0, 32.0]]))
    assert torch.allclose(found.boxes[1, 0], torch.tensor([16.0, 16.0, 32.0, 32.0])) and (found.boxes[1, 1] == 0).all()
    assert torch.allclose(found.images[0, 0], torch.full((32, 32), 200 / 255), atol=0.03)  # the JPEG's red


def test_annotation_keeps_difficult_objects_when_asked():
    annotation = {"annotation": {"size": {"width": "10", "height": "10"}, "object": {
        "name": "bird", "difficult": "1", "bndbox": {"xmin": "2", "ymin": "3", "xmax": "4", "ymax": "5"}}}}  # fmt: skip
    boxes, labels, size = voc.annotation_to_tensors(annotation)
    assert boxes.shape == (0, 4) and labels.shape == (0,) and size == (10, 10)
    boxes, labels, _ = voc.annotation_to_tensors(annotation, keep_difficult=True)
    assert boxes.tolist() == [[1.0, 2.0, 4.0, 5.0]] and labels.tolist() == [voc.VOC_CLASSES.index("bird")]


def test_offline_without_a_copy_says_what_was_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("DL4CV_OFFLINE", "1")
    with pytest.raises(data.DatasetNotFoundError, match="Pascal VOC 2012") as error:
        voc.load_voc("val", root=tmp_path)
    assert "download: skipped" in str(error.value) and str(tmp_path) in str(error.value)
