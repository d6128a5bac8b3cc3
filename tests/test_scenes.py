"""Captioned scenes: boxes enclose exactly their item's pixels, masks agree with boxes and labels,
captions parse back to the scene's facts, splits share no source item, seeds reproduce."""

from __future__ import annotations

import pytest
import torch
from torchvision.ops import box_iou

from dl4cv import scenes as sc


@pytest.fixture(scope="module")
def train() -> sc.Scenes:
    return sc.load_scenes("train", 300, seed=1)


def test_shapes_and_padding(train):
    n, k = len(train), sc.MAX_ITEMS
    assert train.images.shape == (n, 3, sc.CANVAS, sc.CANVAS) and train.images.dtype == torch.float32
    assert train.boxes.shape == (n, k, 4) and train.labels.shape == (n, k) and train.counts.shape == (n,)
    assert 0 <= float(train.images.min()) and float(train.images.max()) <= 1
    present = torch.arange(k)[None] < train.counts[:, None]
    for field in (train.labels, train.sizes, train.colours, train.sources):
        assert (field[~present] == -1).all() and (field[present] >= 0).all()
    assert set(train.counts.tolist()) == {1, 2, 3}, "scenes hold one, two and three items"


def test_each_box_is_the_tight_box_of_its_item_mask(train):
    for n in range(len(train)):
        for k, obj in enumerate(train.objects(n)):
            mask = train.instance_masks[n] == k + 1
            rows, cols = mask.any(1).nonzero()[:, 0], mask.any(0).nonzero()[:, 0]
            tight = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
            assert obj.box == tuple(map(float, tight)), f"scene {n} item {k}"


def test_masks_agree_with_labels_and_with_the_pixels(train):
    for n in range(len(train)):
        instance, semantic = train.instance_masks[n], train.semantic_masks[n]
        assert ((instance == 0) == (semantic == 0)).all()
        for k in range(int(train.counts[n])):
            assert (semantic[instance == k + 1] == train.labels[n, k] + 1).all()
    brightness = train.images.amax(1)
    assert (brightness[train.instance_masks > 0] > 0.05).all(), "mask pixels are the item's bright pixels"
    assert (brightness[train.instance_masks == 0] <= sc.MASK_THRESHOLD + 1e-6).all(), "nothing bright outside the masks"


def test_items_do_not_overlap_and_have_different_colours(train):
    for n in range(len(train)):
        k = int(train.counts[n])
        iou = box_iou(train.boxes[n, :k], train.boxes[n, :k])
        assert (iou - torch.eye(k)).abs().max() == 0, f"scene {n}: boxes overlap"
        assert len(set(train.colours[n, :k].tolist())) == k


def test_every_caption_parses_back_to_the_scene(train):
    for n in range(len(train)):
        objects = train.objects(n)
        assert len(set(train.captions[n])) >= 3, "several phrasings per scene"
        for caption in train.captions[n]:
            facts = sc.parse_caption(caption)
            assert facts is not None, caption
            assert sorted(facts.objects) == sorted((o.size, o.colour, o.label) for o in objects), caption
            assert sc.caption_names_every_object(caption, objects)
            if facts.axis is not None:
                by_fact = {(o.size, o.colour, o.label): o.centre for o in objects}
                coordinate = 0 if facts.axis == "x" else 1
                along = [by_fact[f][coordinate] for f in facts.ordered]
                assert along == sorted(along), f"{caption}: objects not in {facts.axis} order"


def test_a_wrong_caption_is_caught(train):
    objects = train.objects(0)
    caption = train.captions[0][0]
    wrong_colour = sc.COLOURS[(objects[0].colour + 1) % len(sc.COLOURS)]
    assert not sc.caption_names_every_object(caption.replace(sc.COLOURS[objects[0].colour], wrong_colour, 1), objects)
    assert not sc.caption_names_every_object("a small red", objects)
    assert sc.parse_caption("a small red bag to the left of") is None


def test_splits_share_no_source_item_and_seeds_reproduce():
    train, val, test = (sc.load_scenes(split, 200, seed=0) for split in ("train", "val", "test"))
    train_items, val_items = set(train.sources[train.sources >= 0].tolist()), set(val.sources[val.sources >= 0].tolist())
    assert max(train_items) < 50_000 <= min(val_items) and not train_items & val_items
    assert test.split == "test" and max(test.sources.flatten().tolist()) < 10_000
    again = sc.load_scenes.__wrapped__("train", 200, seed=0)
    assert torch.equal(again.images, train.images) and again.captions == train.captions
    other = sc.load_scenes.__wrapped__("train", 200, seed=1)
    assert not torch.equal(other.images, train.images)
    with pytest.raises(ValueError, match="unknown split"):
        sc.load_scenes("validation")


def test_vocabulary_round_trip(train):
    vocab = sc.Vocabulary.of_scenes()
    assert vocab.words[:4] == [sc.NULL, sc.START, sc.END, sc.UNK] and vocab.null == 0
    captions, owners = sc.encode_captions(train, vocab, length=24)
    assert captions.shape == (sum(map(len, train.captions)), 24) and owners.max() == len(train) - 1
    assert (captions[:, 0] == vocab.start).all() and ((captions == vocab.end).sum(1) == 1).all()
    assert vocab.decode(captions[0]) == train.captions[0][0]
    assert vocab.decode(vocab.encode("a huge red bag", 8)) == "a <UNK> red bag"
    with pytest.raises(ValueError, match="does not fit"):
        vocab.encode("a small red bag", 5)


def test_the_shipped_scene_encoder_reads_class_colour_and_size_of_test_scenes():
    from dl4cv.scene_encoder import FEATURE_DIM, grid_accuracy, load_scene_encoder, object_accuracy, scene_features

    test = sc.load_scenes("test", 400, seed=0)
    accuracy = grid_accuracy(load_scene_encoder(), test)
    assert accuracy["label"] > 0.8 and accuracy["colour"] > 0.97 and accuracy["size"] > 0.97, accuracy
    assert object_accuracy(load_scene_encoder(), test) > 0.8, "most items' classes are read right"
    features = scene_features(test)
    assert features.shape == (400, FEATURE_DIM, 8, 8)
    assert torch.equal(features[0, -2, 0], torch.linspace(-1, 1, 8)) and torch.equal(features[0, -1, :, 0], torch.linspace(-1, 1, 8))


def test_isolated_items_are_whole_alone_and_described_alone():
    scenes = sc.load_scenes("val", 40, seed=1)
    items = sc.isolate_items(scenes)
    assert len(items) == int(scenes.counts.sum()) and (items.counts == 1).all()
    m = 0
    for n in range(len(scenes)):
        for k, obj in enumerate(scenes.objects(n)):
            assert items.objects(m) == [obj]
            assert items.captions[m] == sc.describe([obj]) and sc.caption_names_every_object(items.captions[m][0], [obj])
            own = scenes.instance_masks[n] == k + 1
            assert torch.equal(items.images[m][:, own], scenes.images[n][:, own]), "the item's pixels are all kept"
            others = (scenes.instance_masks[n] > 0) & ~own
            assert (items.images[m][:, others] == 0).all(), "no pixel of another item is left"
            assert torch.equal(items.instance_masks[m] == 1, own) and torch.equal(items.semantic_masks[m] > 0, own)
            m += 1
