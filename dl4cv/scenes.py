"""Captioned scenes: real Fashion-MNIST items, tinted and placed on a canvas, with exact boxes,
masks and several captions each. The offline data of the captioning (a3) and detection and
segmentation (a5) notebooks.

A scene holds 1 to 3 items. Each item is one Fashion-MNIST image of a class, drawn small
(16 px) or large (28 px), tinted one of six colours and put where it overlaps no other item.
The captions come from a small grammar with several phrasings per scene ("a small red bag to
the left of a large blue sandal", "a large blue sandal and , on its left , a small red bag"),
so that n-gram metrics have more than one right answer. `parse_caption` reads the facts back.

Splits never share a source item: "train" scenes use Fashion-MNIST training items 0–49,999,
"val" the training items 50,000–59,999, and "test" the test items. The same
(split, count, seed) gives the same scenes on every machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from dl4cv import data

CANVAS = 64
MAX_ITEMS = 3
SIZES = ("small", "large")
SIZE_PIXELS = (16, 28)
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple")
COLOUR_RGB = torch.tensor([
    [0.95, 0.15, 0.15], [1.0, 0.55, 0.1], [0.95, 0.9, 0.15],
    [0.2, 0.85, 0.25], [0.2, 0.4, 1.0], [0.7, 0.25, 0.95],
])  # fmt: skip
# One word a class, so that every object of a caption is "a <size> <colour> <noun>".
NOUNS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot")
MASK_THRESHOLD = 0.1  # an item's pixel belongs to its mask when its intensity (0..1) is above this

# Fashion-MNIST items each split draws from: (Fashion-MNIST split, first index, end index).
SOURCES = {"train": ("train", 0, 50_000), "val": ("train", 50_000, 60_000), "test": ("test", 0, 10_000)}
NULL, START, END, UNK = "<NULL>", "<START>", "<END>", "<UNK>"
SPECIALS = (NULL, START, END, UNK)


@dataclass(frozen=True)
class SceneObject:
    """One item of a scene: Fashion-MNIST class, size and colour indices, and its box.

    box: (x1, y1, x2, y2) in pixels, x2 and y2 exclusive: the tightest box holding every pixel
    of the item's mask (the `torchvision.ops` "xyxy" format).
    """

    label: int
    size: int
    colour: int
    box: tuple[float, float, float, float]

    @property
    def phrase(self) -> str:
        return f"a {SIZES[self.size]} {COLOURS[self.colour]} {NOUNS[self.label]}"

    @property
    def centre(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box
        return (x1 + x2) / 2, (y1 + y2) / 2


@dataclass(frozen=True, eq=False)
class Scenes:
    """N scenes of one split. K = MAX_ITEMS; padded entries are -1 (labels, sizes, colours,
    sources) or 0 (boxes).

    images:         float32 (N, 3, H, W) in [0, 1], black background
    boxes:          float32 (N, K, 4) xyxy pixels, x2/y2 exclusive
    labels:         int64 (N, K) Fashion-MNIST class (index into NOUNS)
    sizes, colours: int64 (N, K) indices into SIZES and COLOURS
    counts:         int64 (N,) items in each scene (1 to K)
    instance_masks: int64 (N, H, W) 0 for background, k + 1 for the scene's item k
    semantic_masks: int64 (N, H, W) 0 for background, class + 1 for an item's pixels
    sources:        int64 (N, K) index of each item in its Fashion-MNIST split
    captions:       N lists of phrasings, each a string of words separated by single spaces
    """

    split: str
    images: torch.Tensor
    boxes: torch.Tensor
    labels: torch.Tensor
    sizes: torch.Tensor
    colours: torch.Tensor
    counts: torch.Tensor
    instance_masks: torch.Tensor
    semantic_masks: torch.Tensor
    sources: torch.Tensor
    captions: list[list[str]]

    def __len__(self) -> int:
        return len(self.images)

    def objects(self, index: int) -> list[SceneObject]:
        """The items of scene `index`, in the order they were placed."""
        return [
            SceneObject(int(self.labels[index, k]), int(self.sizes[index, k]), int(self.colours[index, k]),
                        tuple(float(v) for v in self.boxes[index, k]))  # fmt: skip
            for k in range(int(self.counts[index]))
        ]


# ---------------------------------------------------------------------------- captions


def _horizontal(a: SceneObject, b: SceneObject) -> bool:
    """Whether a and b are told apart left/right (else above/below): the larger offset decides."""
    (ax, ay), (bx, by) = a.centre, b.centre
    return abs(ax - bx) >= abs(ay - by)


def describe(objects: list[SceneObject]) -> list[str]:
    """Every phrasing the grammar has for a scene of these objects (2 to 3 captions)."""
    if len(objects) == 1:
        (a,) = objects
        return [a.phrase, f"there is {a.phrase}", f"{a.phrase} on its own"]
    if len(objects) == 2:
        a, b = objects
        if _horizontal(a, b):
            left, right = sorted(objects, key=lambda o: o.centre)
            return [f"{left.phrase} to the left of {right.phrase}",
                    f"{right.phrase} to the right of {left.phrase}",
                    f"{right.phrase} and , on its left , {left.phrase}"]  # fmt: skip
        top, bottom = sorted(objects, key=lambda o: (o.centre[1], o.centre[0]))
        return [f"{top.phrase} above {bottom.phrase}",
                f"{bottom.phrase} below {top.phrase}",
                f"{bottom.phrase} and , above it , {top.phrase}"]  # fmt: skip
    a, b, c = sorted(objects, key=lambda o: o.centre)
    return [f"{a.phrase} , {b.phrase} and {c.phrase} from left to right",
            f"{c.phrase} , {b.phrase} and {a.phrase} from right to left",
            f"from left to right : {a.phrase} , {b.phrase} and {c.phrase}"]  # fmt: skip


_OBJECT = re.compile(rf"a ({'|'.join(SIZES)}) ({'|'.join(COLOURS)}) ({'|'.join(map(re.escape, NOUNS))})(?= |$)")


@dataclass(frozen=True)
class CaptionFacts:
    """What a caption says: its objects as (size, colour, label) indices, in reading order, and
    the order they are in along `axis` ("x": left to right, "y": top to bottom; None for one)."""

    objects: tuple[tuple[int, int, int], ...]
    axis: str | None
    ordered: tuple[tuple[int, int, int], ...]


# Every sentence shape of the grammar, objects written X: (objects, axis, written in reverse order).
_TEMPLATES = {
    "X": (1, None, False), "there is X": (1, None, False), "X on its own": (1, None, False),
    "X to the left of X": (2, "x", False), "X to the right of X": (2, "x", True),
    "X and , on its left , X": (2, "x", True),
    "X above X": (2, "y", False), "X below X": (2, "y", True), "X and , above it , X": (2, "y", True),
    "X , X and X from left to right": (3, "x", False), "X , X and X from right to left": (3, "x", True),
    "from left to right : X , X and X": (3, "x", False),
}  # fmt: skip


def parse_caption(caption: str) -> CaptionFacts | None:
    """The facts of a caption the grammar can write, or None for any other text."""
    found = tuple((SIZES.index(s), COLOURS.index(c), NOUNS.index(n)) for s, c, n in _OBJECT.findall(caption))
    shape = _TEMPLATES.get(_OBJECT.sub("X", " ".join(caption.split())))
    if shape is None or shape[0] != len(found):
        return None
    _, axis, backwards = shape
    return CaptionFacts(found, axis, found[::-1] if backwards else found)


def caption_names_every_object(caption: str, objects: list[SceneObject]) -> bool:
    """Whether `caption` names exactly the scene's objects, each with its right class and colour
    (sizes and positions are not asked for): the captioners' "every object right" measure."""
    facts = parse_caption(caption)
    if facts is None:
        return False
    said = sorted((colour, label) for _, colour, label in facts.objects)
    return said == sorted((o.colour, o.label) for o in objects)


# ---------------------------------------------------------------------------- vocabulary


class Vocabulary:
    """Words <-> indices, with <NULL> = 0 (padding), <START> = 1, <END> = 2 and <UNK> = 3."""

    def __init__(self, words: list[str]):
        self.words = list(SPECIALS) + [w for w in dict.fromkeys(words) if w not in SPECIALS]
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def of_scenes(cls) -> Vocabulary:
        """Every word the scene grammar can write, in a fixed order."""
        words = [*"a there is on its own to the left of right and , above below it from : ".split(" ")]
        return cls([w for w in words if w] + list(SIZES) + list(COLOURS) + list(NOUNS))

    @property
    def null(self) -> int:
        return self.index[NULL]

    @property
    def start(self) -> int:
        return self.index[START]

    @property
    def end(self) -> int:
        return self.index[END]

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, caption: str, length: int) -> torch.Tensor:
        """int64 (length,): <START>, the words (<UNK> for unknown ones), <END>, then <NULL>s."""
        ids = [self.start] + [self.index.get(w, self.index[UNK]) for w in caption.split()] + [self.end]
        if len(ids) > length:
            raise ValueError(f"caption of {len(ids)} tokens with <START> and <END> does not fit in {length}: {caption!r}")
        return torch.tensor(ids + [self.null] * (length - len(ids)), dtype=torch.int64)

    def decode(self, ids: torch.Tensor) -> str:
        """The words of a (T,) index tensor up to the first <END>, without <START> or <NULL>."""
        words = []
        for i in ids.tolist():
            if i == self.end:
                break
            if i not in (self.start, self.null):
                words.append(self.words[i])
        return " ".join(words)


def encode_captions(scenes: Scenes, vocabulary: Vocabulary, length: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    """Every caption of every scene as rows: captions int64 (M, length) and the scene index of
    each row, int64 (M,)."""
    rows, owners = [], []
    for index, phrasings in enumerate(scenes.captions):
        for caption in phrasings:
            rows.append(vocabulary.encode(caption, length))
            owners.append(index)
    return torch.stack(rows), torch.tensor(owners, dtype=torch.int64)


# ---------------------------------------------------------------------------- generation


def _place(gen: torch.Generator, pixels: list[int]) -> list[tuple[int, int]] | None:
    """Top-left corners for squares of these sides that overlap no other, or None."""
    corners: list[tuple[int, int]] = []
    for side in pixels:
        for _ in range(50):
            y, x = (int(v) for v in torch.randint(0, CANVAS - side + 1, (2,), generator=gen))
            if all(y + side <= cy or cy + cs <= y or x + side <= cx or cx + cs <= x
                   for (cy, cx), cs in zip(corners, pixels)):  # fmt: skip
                corners.append((y, x))
                break
        else:
            return None
    return corners


def _item(image: torch.Tensor, side: int) -> torch.Tensor:
    """A (28, 28) uint8 item as float intensities in [0, 1], resized to (side, side)."""
    item = image.float().div(255)[None, None]
    if side != item.shape[-1]:
        item = F.interpolate(item, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
    return item[0, 0].clamp(0, 1)


def generate_scenes(items: torch.Tensor, item_labels: torch.Tensor, count: int, *, seed: int, split: str = "custom",
                    first_source: int = 0) -> Scenes:  # fmt: skip
    """`count` scenes built from `items`, uint8 (M, 1, 28, 28) with labels int64 (M,).

    Every item is used at most once per call when `count * MAX_ITEMS <= M`; `sources` records
    `first_source` + its index in `items`.
    """
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(items), generator=gen)
    images = torch.zeros(count, 3, CANVAS, CANVAS)
    boxes = torch.zeros(count, MAX_ITEMS, 4)
    labels, sizes, colours, sources = (torch.full((count, MAX_ITEMS), -1, dtype=torch.int64) for _ in range(4))
    counts = torch.zeros(count, dtype=torch.int64)
    instance = torch.zeros(count, CANVAS, CANVAS, dtype=torch.int64)
    semantic = torch.zeros(count, CANVAS, CANVAS, dtype=torch.int64)
    captions = []
    used = 0
    for n in range(count):
        while True:
            k = int(torch.randint(1, MAX_ITEMS + 1, (), generator=gen))
            size = torch.randint(0, len(SIZES), (k,), generator=gen)
            corners = _place(gen, [SIZE_PIXELS[s] for s in size.tolist()])
            if corners is not None:
                break
        colour = torch.randperm(len(COLOURS), generator=gen)[:k]  # different colours in one scene
        objects = []
        for j in range(k):
            source = int(order[used % len(items)])
            used += 1
            side = SIZE_PIXELS[int(size[j])]
            intensity = _item(items[source, 0], side)
            (y, x) = corners[j]
            images[n, :, y:y + side, x:x + side] = intensity * COLOUR_RGB[colour[j]][:, None, None]
            mask = intensity > MASK_THRESHOLD
            rows, cols = mask.any(1).nonzero()[:, 0], mask.any(0).nonzero()[:, 0]
            box = (x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1)
            instance[n, y:y + side, x:x + side][mask] = j + 1
            semantic[n, y:y + side, x:x + side][mask] = int(item_labels[source]) + 1
            boxes[n, j] = torch.tensor(box, dtype=torch.float32)
            labels[n, j], sizes[n, j], colours[n, j] = item_labels[source], size[j], colour[j]
            sources[n, j] = first_source + source
            objects.append(SceneObject(int(item_labels[source]), int(size[j]), int(colour[j]), tuple(map(float, box))))
        counts[n] = k
        captions.append(describe(objects))
    return Scenes(split, images, boxes, labels, sizes, colours, counts, instance, semantic, sources, captions)


def isolate_items(scenes: Scenes) -> Scenes:
    """Every item of every scene as a one-item scene of its own: the same canvas with everything
    outside the item's box set to black (items never share pixels, so the item is whole and alone),
    its masks, box, label, size, colour and source kept, and the captions a one-item scene gets.
    Items come scene by scene, in each scene's order: M = scenes.counts.sum() one-item scenes."""
    scene, item = torch.nonzero(scenes.labels >= 0, as_tuple=True)  # (M,) each
    boxes = scenes.boxes[scene, item]  # (M, 4)
    coordinates = torch.arange(CANVAS, dtype=torch.float32)
    inside_x = (coordinates >= boxes[:, :1]) & (coordinates < boxes[:, 2:3])  # (M, W)
    inside_y = (coordinates >= boxes[:, 1:2]) & (coordinates < boxes[:, 3:4])  # (M, H)
    inside = inside_y[:, :, None] & inside_x[:, None, :]  # (M, H, W)
    own = scenes.instance_masks[scene] == (item + 1)[:, None, None]

    def first_column(values: torch.Tensor, fill: int | float) -> torch.Tensor:
        padded = torch.full((len(scene), MAX_ITEMS, *values.shape[2:]), fill, dtype=values.dtype)
        padded[:, 0] = values[scene, item]
        return padded

    objects = [SceneObject(int(scenes.labels[n, k]), int(scenes.sizes[n, k]), int(scenes.colours[n, k]),
                           tuple(float(v) for v in scenes.boxes[n, k])) for n, k in zip(scene.tolist(), item.tolist())]  # fmt: skip
    return Scenes(
        split=scenes.split, images=scenes.images[scene] * inside[:, None], boxes=first_column(scenes.boxes, 0.0),
        labels=first_column(scenes.labels, -1), sizes=first_column(scenes.sizes, -1), colours=first_column(scenes.colours, -1),
        counts=torch.ones(len(scene), dtype=torch.int64), instance_masks=own.long(),
        semantic_masks=scenes.semantic_masks[scene] * own, sources=first_column(scenes.sources, -1),
        captions=[describe([o]) for o in objects],
    )  # fmt: skip


@lru_cache(maxsize=8)
def load_scenes(split: str = "train", count: int = 1000, seed: int = 0) -> Scenes:
    """`count` scenes of `split` ("train", "val" or "test") from the offline Fashion-MNIST;
    cached per (split, count, seed), so treat the tensors as read-only."""
    if split not in SOURCES:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SOURCES)}")
    fashion = data.load_dataset("fashion-mnist")
    which, first, end = SOURCES[split]
    x, y = (fashion.x_train, fashion.y_train) if which == "train" else (fashion.x_test, fashion.y_test)
    seed_of_split = seed * 1000 + list(SOURCES).index(split)
    return generate_scenes(x[first:end], y[first:end], count, seed=seed_of_split, split=split, first_source=first)
