"""a3 captioners compared: RNN, LSTM, attention LSTM (lstm_captioning) and transformer
(transformer_captioning), the notebooks' full-mode settings, on held-out test scenes.

The same 10,000 training scenes (three captions each) and scene-encoder features for all four
reference captioners: the RNN and the LSTM (hand-written gradients, hidden state 256, 6,000 Adam
iterations of 100 captions, learning rate 2e-3) read the flattened 8×8 grid; the attention LSTM
(autograd, hidden state 128, 3,000 iterations, learning rate 2e-3) reads the grid and attends to
it at every word; the transformer (autograd, width 128, 3 decoder layers of 4 heads, 3,000 AdamW
iterations, learning rate 1e-3 with warm-up and cosine decay) attends to the 64 cells as memory
tokens. Greedy captions of 1,000 test scenes are scored with the reference `corpus_bleu` (BLEU-4)
and by whether they name every object with its right class and colour. Writes the attention maps
behind one test caption, for the attention LSTM and the transformer, beside RESULTS.md.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module
from dl4cv import scenes
from dl4cv.scene_encoder import scene_features

TITLE = "a3 captioners: RNN vs LSTM vs attention LSTM vs transformer"
NUM_TRAIN, NUM_TEST, MAX_LENGTH = 10_000, 1_000, 24
SETTINGS = {  # name: (hidden size or width, iterations)
    "RNN": (256, 6000),
    "LSTM": (256, 6000),
    "attention LSTM": (128, 3000),
    "transformer": (128, 3000),
}
TRANSFORMER_LAYERS = 3
PICTURES = {"attention LSTM": "lstm_captioning_attention.png", "transformer": "transformer_captioning_attention.png"}


def _data():
    vocab = scenes.Vocabulary.of_scenes()
    train, test = scenes.load_scenes("train", NUM_TRAIN, seed=0), scenes.load_scenes("test", NUM_TEST, seed=0)
    captions, owner = scenes.encode_captions(train, vocab, MAX_LENGTH)
    train_grid, test_grid = scene_features(train), scene_features(test)
    mean, std = train_grid.mean((0, 2, 3), keepdim=True), train_grid.std((0, 2, 3), keepdim=True) + 1e-3
    train_grid, test_grid = (train_grid - mean) / std, (test_grid - mean) / std
    flat_mean, flat_std = train_grid.flatten(1).mean(0), train_grid.flatten(1).std(0) + 1e-3
    flat = ((train_grid.flatten(1) - flat_mean) / flat_std, (test_grid.flatten(1) - flat_mean) / flat_std)
    return vocab, test, captions, owner, (train_grid, test_grid), flat


def measure() -> dict:
    captioning = reference_module("a3", "captioning")
    lstm_captioning = reference_module("a3", "lstm_captioning")
    transformer_captioning = reference_module("a3", "transformer_captioning")
    vocab, test, captions, owner, grids, flat = _data()
    references = [[c.split() for c in phrasings] for phrasings in test.captions]
    results = {}
    for name, (hidden, iterations) in SETTINGS.items():
        torch.manual_seed(0)
        start = time.perf_counter()
        if name == "attention LSTM":
            model = lstm_captioning.AttentionCaptioner(66, len(vocab), word_dim=64, hidden_dim=hidden)
            losses = lstm_captioning.train_attention_captioner(model, grids[0], captions, owner, iterations=iterations, lr=2e-3)
            sampled, attention = model.sample(grids[1], MAX_LENGTH)
        elif name == "transformer":
            model = transformer_captioning.CaptioningTransformer(66, len(vocab), dim=hidden, heads=4, layers=TRANSFORMER_LAYERS,
                                                                 hidden=2 * hidden)
            losses = transformer_captioning.train_transformer_captioner(model, grids[0], captions, owner, iterations=iterations,
                                                                        lr=1e-3)
            sampled, attention = model.sample(grids[1], MAX_LENGTH)
        else:
            kind = captioning.CaptioningRNN if name == "RNN" else lstm_captioning.CaptioningLSTM
            model = kind(flat[0].shape[1], len(vocab), word_dim=64, hidden_dim=hidden, generator=torch.Generator().manual_seed(0))
            losses = captioning.train_captioner(model, flat[0], captions, owner, iterations=iterations, lr=2e-3)
            sampled = model.sample(flat[1], MAX_LENGTH)
        seconds = time.perf_counter() - start
        texts = [vocab.decode(row) for row in sampled]
        right = [scenes.caption_names_every_object(t, test.objects(i)) for i, t in enumerate(texts)]
        results[name] = {
            "hidden": hidden, "iterations": iterations, "minutes": seconds / 60,
            "bleu4": captioning.corpus_bleu([t.split() for t in texts], references),
            "every_object_right": sum(right) / len(right),
            "by_count": {str(k): sum(r for r, n in zip(right, test.counts.tolist()) if n == k) / int((test.counts == k).sum())
                         for k in (1, 2, 3)},
            "last_loss": sum(losses[-100:]) / 100,
        }  # fmt: skip
        if name in PICTURES:
            _picture(test, vocab.decode(sampled[0]).split(), attention[0], ROOT / "benchmarks" / "results" / PICTURES[name])
    return {"results": results}


def _picture(test, words, attention, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch.nn.functional as F

    words = words[:10]
    fig, axes = plt.subplots(1, len(words) + 1, figsize=(1.8 * (len(words) + 1), 2.2))
    axes[0].imshow(test.images[0].permute(1, 2, 0))
    axes[0].set_title("test scene", fontsize=8)
    for k, word in enumerate(words):
        heat = F.interpolate(attention[k][None, None], size=scenes.CANVAS, mode="bilinear")[0, 0]
        axes[k + 1].imshow(test.images[0].permute(1, 2, 0))
        axes[k + 1].imshow(heat, alpha=0.6, cmap="magma")
        axes[k + 1].set_title(word, fontsize=8)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110)


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"Reference captioners on the same {NUM_TRAIN:,} training scenes; greedy captions of {NUM_TEST:,} test scenes.",
        "",
        "| captioner | hidden / width | iterations | training | BLEU-4 | every object right | with 1 / 2 / 3 objects |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in figures["results"].items():
        counts = r["by_count"]
        lines.append(f"| {name} | {r['hidden']} | {r['iterations']:,} | {r['minutes']:.1f} min | {r['bleu4']:.3f} | "
                     f"{r['every_object_right']:.1%} | {counts['1']:.0%} / {counts['2']:.0%} / {counts['3']:.0%} |")
    lines.append("")
    for name, picture in PICTURES.items():
        if name in figures["results"]:
            lines += [f"Attention maps of the {name} behind the first words of one test caption:", "",
                      f"![{name} attention maps](results/{picture})", ""]
    lines.append(measured_line(figures))
    return "\n".join(lines)
