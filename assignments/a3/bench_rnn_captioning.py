"""a3 RNN captioning: the notebook's full-mode run, scored on held-out test scenes.

The reference `CaptioningRNN` (word vectors of 64, hidden state of 256) trained with Adam
(learning rate 2e-3, batches of 100 captions, 6,000 iterations) on the three captions of each of
10,000 training scenes, from the shipped scene encoder's features (centred and scaled with the
training statistics). Greedy captions of 1,000 test scenes are scored with the reference
`corpus_bleu` (BLEU-4 against the scene's three captions, checked against torchmetrics) and by
whether they name every object with its right class and colour. The ceiling for that measure is
the scene encoder itself: its per-object class accuracy on the same test scenes is reported too.
Writes a grid of test scenes with their generated captions beside RESULTS.md.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module
from dl4cv import scenes
from dl4cv.scene_encoder import load_scene_encoder, object_accuracy, scene_features

TITLE = "a3 RNN captioning"
NUM_TRAIN, NUM_TEST = 10_000, 1_000
WORD_DIM, HIDDEN_DIM = 64, 256
ITERATIONS, BATCH_SIZE, LEARNING_RATE = 6000, 100, 2e-3
MAX_LENGTH = 24
PICTURE = ROOT / "benchmarks" / "results" / "rnn_captioning.png"


def measure() -> dict:
    from torchmetrics.functional.text import bleu_score

    captioning = reference_module("a3", "captioning")
    torch.manual_seed(0)
    train, test = scenes.load_scenes("train", NUM_TRAIN, seed=0), scenes.load_scenes("test", NUM_TEST, seed=0)
    vocab = scenes.Vocabulary.of_scenes()
    captions, owner = scenes.encode_captions(train, vocab, MAX_LENGTH)
    train_features, test_features = scene_features(train).flatten(1), scene_features(test).flatten(1)
    mean, std = train_features.mean(0), train_features.std(0) + 1e-3
    train_features, test_features = (train_features - mean) / std, (test_features - mean) / std

    model = captioning.CaptioningRNN(train_features.shape[1], len(vocab), word_dim=WORD_DIM, hidden_dim=HIDDEN_DIM,
                                     generator=torch.Generator().manual_seed(0))  # fmt: skip
    start = time.perf_counter()
    losses = captioning.train_captioner(model, train_features, captions, owner, iterations=ITERATIONS,
                                        batch_size=BATCH_SIZE, lr=LEARNING_RATE)  # fmt: skip
    training_seconds = time.perf_counter() - start

    texts = [vocab.decode(row) for row in model.sample(test_features, max_length=MAX_LENGTH)]
    references = [[c.split() for c in phrasings] for phrasings in test.captions]
    bleu = {n: captioning.corpus_bleu([t.split() for t in texts], references, max_n=n) for n in (1, 2, 4)}
    library = bleu_score(texts, [list(phrasings) for phrasings in test.captions], n_gram=4).item()
    right = sum(scenes.caption_names_every_object(t, test.objects(i)) for i, t in enumerate(texts))
    by_count = {}
    for count in (1, 2, 3):
        which = [i for i in range(len(test)) if int(test.counts[i]) == count]
        by_count[str(count)] = sum(scenes.caption_names_every_object(texts[i], test.objects(i)) for i in which) / len(which)

    _picture(test, texts)
    return {
        "bleu": bleu, "bleu4_torchmetrics": library, "every_object_right": right / len(test),
        "every_object_right_by_count": by_count, "encoder_object_accuracy": object_accuracy(load_scene_encoder(), test),
        "first_loss": losses[0], "last_loss": sum(losses[-100:]) / 100, "training_seconds": training_seconds,
        "examples": [{"caption": texts[i], "reference": test.captions[i][0]} for i in range(4)],
    }  # fmt: skip


def _picture(test: scenes.Scenes, texts: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from dl4cv.viz import show_scenes

    figure = show_scenes(test, range(8), captions=texts[:8])
    PICTURE.parent.mkdir(exist_ok=True)
    figure.savefig(PICTURE, dpi=110)


def render(figures: dict) -> str:
    bleu = figures["bleu"]
    counts = figures["every_object_right_by_count"]
    lines = [
        f"## {TITLE}",
        "",
        f"The reference captioner (word vectors {WORD_DIM}, hidden state {HIDDEN_DIM}), {ITERATIONS:,} Adam iterations "
        f"of {BATCH_SIZE} captions on {NUM_TRAIN:,} training scenes, greedy captions of {NUM_TEST:,} test scenes.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| BLEU-1 / BLEU-2 / BLEU-4 (ours) | {bleu['1']:.3f} / {bleu['2']:.3f} / {bleu['4']:.3f} |",
        f"| BLEU-4 (torchmetrics, same captions) | {figures['bleu4_torchmetrics']:.3f} |",
        f"| captions naming every object with its right class and colour | {figures['every_object_right']:.1%} |",
        f"| ... of scenes with 1 / 2 / 3 objects | {counts['1']:.1%} / {counts['2']:.1%} / {counts['3']:.1%} |",
        f"| the scene encoder's per-object class accuracy (the ceiling) | {figures['encoder_object_accuracy']:.1%} |",
        f"| loss per caption: first iteration, mean of the last 100 | {figures['first_loss']:.2f}, {figures['last_loss']:.2f} |",
        f"| training time | {figures['training_seconds'] / 60:.1f} min |",
        "",
        "Examples (generated / first reference):",
        "",
        *[f"- {e['caption']} / {e['reference']}" for e in figures["examples"]],
        "",
        "![test scenes with generated captions](results/rnn_captioning.png)",
        "",
        measured_line(figures),
    ]  # fmt: skip
    return "\n".join(lines)
