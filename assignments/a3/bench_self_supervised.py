"""a3 self-supervised learning in full mode, with the reference solutions: SimCLR pretrained on
Fashion-MNIST's 60,000 training images without labels, then a linear probe trained with 1% of the
labels (60 per class), against the same encoder trained from scratch on those labels (with the
same augmentations) and a frozen random encoder; three draws of the labelled 1%. Then a tiny CLIP
trained on captioned scenes and its zero-shot item accuracy on test scenes. Writes nearest
neighbours in SimCLR's feature space and zero-shot predictions beside RESULTS.md.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module
from dl4cv import data, scenes

TITLE = "a3 self-supervised learning: SimCLR with 1% of the labels, and zero-shot CLIP on scenes"
SIMCLR_EPOCHS, SUPERVISED_EPOCHS, PER_CLASS, DRAWS = 10, 100, 60, 3
CLIP_SCENES, CLIP_EPOCHS, TEST_SCENES = 20_000, 12, 1_000
GOAL_ITEMS = 0.80
RESULTS = ROOT / "benchmarks" / "results"


def measure() -> dict:
    ssl = reference_module("a3", "self_supervised")
    torch.manual_seed(0)
    fashion = data.load_dataset("fashion-mnist")
    x_train, y_train = fashion.x_train.float().div(255), fashion.y_train
    x_test, y_test = fashion.x_test.float().div(255), fashion.y_test

    encoder, head = ssl.small_encoder(), ssl.projection_head()
    started = time.perf_counter()
    history = ssl.train_simclr(encoder, head, x_train, epochs=SIMCLR_EPOCHS)
    simclr_minutes = (time.perf_counter() - started) / 60
    random_encoder = ssl.small_encoder().eval()
    features = {"simclr": (ssl.features_of(encoder, x_train), ssl.features_of(encoder, x_test)),
                "random": (ssl.features_of(random_encoder, x_train), ssl.features_of(random_encoder, x_test))}  # fmt: skip

    def accuracy(predicted):
        return (predicted == y_test).float().mean().item()

    draws = []
    for draw in range(DRAWS):
        generator = torch.Generator().manual_seed(draw)
        picked = torch.cat([torch.nonzero(y_train == c)[:, 0][torch.randperm(6000, generator=generator)[:PER_CLASS]] for c in range(10)])
        row = {name: accuracy(ssl.linear_probe(train[picked], y_train[picked], test, 10)) for name, (train, test) in features.items()}
        started = time.perf_counter()
        model = ssl.train_supervised(torch.nn.Sequential(ssl.small_encoder(), torch.nn.Linear(128, 10)), x_train[picked],
                                     y_train[picked], epochs=SUPERVISED_EPOCHS, seed=draw)  # fmt: skip
        row["supervised"] = accuracy(ssl.features_of(model, x_test).argmax(1))
        row["supervised_seconds"] = time.perf_counter() - started
        draws.append(row)
    all_labels = accuracy(ssl.linear_probe(features["simclr"][0], y_train, features["simclr"][1], 10))
    _neighbours(features["simclr"][1], x_test, y_test)

    clip = _clip(ssl)
    return {"simclr_loss": history, "simclr_minutes": simclr_minutes, "draws": draws, "probe_all_labels": all_labels, "clip": clip}


def _clip(ssl) -> dict:
    train, test = scenes.load_scenes("train", CLIP_SCENES), scenes.load_scenes("test", TEST_SCENES)
    vocabulary = scenes.Vocabulary.of_scenes()
    captions, _ = scenes.encode_captions(train, vocabulary)
    captions = captions.view(len(train.images), -1, captions.shape[1])
    images, texts = ssl.SceneImageEncoder(), ssl.CaptionEncoder(len(vocabulary))
    started = time.perf_counter()
    log_scale, history = ssl.train_clip(images, texts, train.images, captions, epochs=CLIP_EPOCHS)
    minutes = (time.perf_counter() - started) / 60
    prompts = [f"a {colour} {noun}" for colour in scenes.COLOURS for noun in scenes.NOUNS]
    nouns = [f"a {noun}" for noun in scenes.NOUNS]
    with torch.no_grad():
        embedded = ssl.features_of(images, test.images)
        scores = ssl.zero_shot_scores(embedded, texts(torch.stack([vocabulary.encode(p, captions.shape[-1]) for p in prompts])))
        noun_scores = ssl.zero_shot_scores(embedded, texts(torch.stack([vocabulary.encode(p, captions.shape[-1]) for p in nouns])))
    wanted = test.colours * len(scenes.NOUNS) + test.labels
    ranked = scores.argsort(dim=1, descending=True)
    found = torch.stack([torch.isin(wanted[k], ranked[k, : test.counts[k]]) for k in range(len(wanted))])
    real = wanted >= 0
    by_count = {str(c): found[test.counts == c][real[test.counts == c]].float().mean().item() for c in (1, 2, 3)}
    single = test.counts == 1
    noun_accuracy = (noun_scores[single].argmax(1) == test.labels[single, 0]).float().mean().item()
    colour_right = (ranked[single, 0] // len(scenes.NOUNS) == test.colours[single, 0]).float().mean().item()
    _zero_shot_picture(test, ranked, prompts)
    return {"items": found[real].float().mean().item(), "item_count": int(real.sum()), "by_count": by_count,
            "single_noun_accuracy": noun_accuracy, "single_colour_accuracy": colour_right, "minutes": minutes,
            "scale": log_scale.exp().item(), "loss": history}  # fmt: skip


def _neighbours(test_features, x_test, y_test) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unit = test_features / test_features.norm(dim=1, keepdim=True)
    queries = [int(torch.nonzero(y_test == c)[0, 0]) for c in range(10)]
    nearest = (unit[queries] @ unit.T).topk(9, dim=1).indices  # the first is the query itself
    fig, axes = plt.subplots(10, 9, figsize=(6.3, 7.4))
    for row, neighbours in enumerate(nearest):
        for column, index in enumerate(neighbours.tolist()):
            ax = axes[row, column]
            ax.imshow(x_test[index, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if column and y_test[index] != y_test[queries[row]]:
                for spine in ax.spines.values():
                    spine.set_color("red"), spine.set_linewidth(2)
    axes[0, 0].set_title("query", fontsize=8)
    axes[0, 4].set_title("nearest in SimCLR's features (red: another class)", fontsize=8)
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "self_supervised_neighbours.png", dpi=90)


def _zero_shot_picture(test, ranked, prompts) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 6, figsize=(13, 5.6))
    for ax, k in zip(axes.flat, range(12)):
        ax.imshow(test.images[k].permute(1, 2, 0))
        ax.axis("off")
        ax.set_title("\n".join(prompts[int(i)] for i in ranked[k, : int(test.counts[k])]), fontsize=8)
    fig.suptitle("CLIP zero-shot: the k best of 60 prompts for a scene of k items", fontsize=10)
    fig.tight_layout()
    fig.savefig(RESULTS / "self_supervised_zero_shot.png", dpi=90)


def render(figures: dict) -> str:
    draws, clip = figures["draws"], figures["clip"]

    def mean(key):
        return sum(d[key] for d in draws) / len(draws)

    wins = sum(d["simclr"] > d["supervised"] for d in draws)
    lines = [
        f"## {TITLE}",
        "",
        f"**SimCLR** (reference `nt_xent_loss`, temperature 0.5, batch 256): {SIMCLR_EPOCHS} epochs on the 60,000 "
        f"training images without labels in {figures['simclr_minutes']:.1f} min; loss "
        f"{figures['simclr_loss'][0]:.3f} → {figures['simclr_loss'][-1]:.3f}. Then {PER_CLASS} labelled images per class "
        f"(1% of the labels), {DRAWS} draws; test accuracy on all 10,000 test images. Goal: the linear probe on SimCLR's "
        f"features beats the same encoder trained from scratch on the same labels: **{wins} of {DRAWS} draws, "
        f"{mean('simclr'):.1%} against {mean('supervised'):.1%} on average.**",
        "",
        "| draw | SimCLR + linear probe | supervised from scratch (same augmentations) | random frozen encoder + linear probe |",
        "|---|---|---|---|",
    ]
    lines += [f"| {k} | {d['simclr']:.1%} | {d['supervised']:.1%} ({d['supervised_seconds']:.0f} s) | {d['random']:.1%} |"
              for k, d in enumerate(draws)]  # fmt: skip
    by_count = clip["by_count"]
    lines += [
        "",
        f"With all 60,000 labels the linear probe on SimCLR's features reaches {figures['probe_all_labels']:.1%}.",
        "",
        "![nearest neighbours](results/self_supervised_neighbours.png)",
        "",
        f"**CLIP** (reference `clip_loss`): {CLIP_EPOCHS} epochs on {CLIP_SCENES:,} training scenes, one of three captions "
        f"drawn each time, {clip['minutes']:.1f} min; learned scale {clip['scale']:.1f}. Zero-shot on {TEST_SCENES:,} test "
        f"scenes with 60 prompts \"a <colour> <item>\" (never seen as such: captions always say small or large): an item "
        f"counts when its prompt is among its scene's top k for k items. Goal ≥ {GOAL_ITEMS:.0%}: "
        f"**{clip['items']:.1%} of {clip['item_count']} items** (scenes of 1 / 2 / 3 items: {by_count['1']:.1%} / "
        f"{by_count['2']:.1%} / {by_count['3']:.1%}). On one-item scenes, the 10 prompts \"a <item>\" name the item in "
        f"{clip['single_noun_accuracy']:.1%}, and the best of the 60 prompts has the right colour in "
        f"{clip['single_colour_accuracy']:.1%}.",
        "",
        "![zero-shot](results/self_supervised_zero_shot.png)",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
