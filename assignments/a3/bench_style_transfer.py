"""a3 style transfer in full mode: three content photos × four styles at 224×224 with the
reference `optimise_image` (300 Adam steps on the pixels of EfficientNet-Lite0's input), Adam
against L-BFGS on one pair, feature inversion from four layers and texture synthesis with the
trained network and a random one. Writes the pictures beside RESULTS.md.

The bar: the style loss falls ≥ 10× from the content photo's, while the result stays much closer
to the photo's content than the style image is (its content loss at most half the style image's).
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module
from dl4cv import photos

TITLE = "a3 style transfer, feature inversion and texture synthesis (EfficientNet-Lite0, offline)"
SIZE, STEPS, LBFGS_STEPS = 224, 400, 40
CONTENTS, STYLES = ("chelsea", "astronaut", "coffee"), ("cells", "hubble", "retina", "flower")
WEIGHTS = {"content_weight": 1.0, "style_weights": 1e4, "tv_weight": 1.0}
GOAL_STYLE_DROP, GOAL_CONTENT_SHARE = 10.0, 0.5
RESULTS = ROOT / "benchmarks" / "results"


def measure() -> dict:
    torch.manual_seed(0)
    st = reference_module("a3", "style_transfer")
    extractor = st.efficientnet_extractor()
    pictures = {name: image[None] for name, image in photos.sample_photos(SIZE).items()}
    pairs, grid = {}, {}
    for content in CONTENTS:
        for style in STYLES:
            targets = st.make_targets(extractor, pictures[content], pictures[style], **WEIGHTS)
            started = time.perf_counter()
            result = st.optimise_image(extractor, pictures[content], targets, iterations=STEPS)
            seconds = time.perf_counter() - started
            with torch.no_grad():
                start, end = st.image_loss(extractor, pictures[content], targets), st.image_loss(extractor, result, targets)
                style_image = st.image_loss(extractor, pictures[style], targets)
                maps = extractor(torch.cat([pictures[content], result]), [extractor.content_layer])[0]
            pairs[f"{content} × {style}"] = {
                "style_start": start["style"].item(), "style_end": end["style"].item(),
                "content_end": end["content"].item(), "content_of_style_image": style_image["content"].item(),
                "relative_content_error": ((maps[1] - maps[0]).norm() / maps[0].norm()).item(), "seconds": seconds,
            }  # fmt: skip
            grid[(content, style)] = result[0]
    optimisers = _adam_against_lbfgs(st, extractor, pictures)
    inversions, textures = _inversions_and_textures(st, extractor, pictures)
    _pictures(pictures, grid, inversions, textures)
    return {"pairs": pairs, "optimisers": optimisers, "size": SIZE, "steps": STEPS}


def _adam_against_lbfgs(st, extractor, pictures) -> dict:
    targets = st.make_targets(extractor, pictures["chelsea"], pictures["cells"], **WEIGHTS)
    found = {}
    for method, steps in (("adam", STEPS), ("lbfgs", LBFGS_STEPS)):
        started = time.perf_counter()
        result = st.optimise_image(extractor, pictures["chelsea"], targets, iterations=steps, method=method)
        seconds = time.perf_counter() - started
        with torch.no_grad():
            found[method] = {"steps": steps, "total": st.image_loss(extractor, result, targets)["total"].item(), "seconds": seconds}
    return found


def _inversions_and_textures(st, extractor, pictures):
    noise = (0.5 + 0.1 * torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    inversions = {}
    for layer in (1, 3, 5, 8):
        targets = st.make_targets(extractor, pictures["chelsea"], None, content_layer=layer, content_weight=1.0, tv_weight=1.0)
        inversions[f"layer {layer}"] = st.optimise_image(extractor, noise, targets, iterations=STEPS, learning_rate=0.03)[0]
    random_net = st.random_extractor()
    textures = {}
    for style in ("cells", "hubble", "flower"):
        for name, net, weight in (("EfficientNet-Lite0", extractor, 1.0), ("random network", random_net, 1e5)):
            targets = st.make_targets(net, None, pictures[style], style_weights=weight, tv_weight=0.3)
            textures[(style, name)] = st.optimise_image(net, noise, targets, iterations=STEPS, learning_rate=0.03)[0]
    return inversions, textures


def _pictures(pictures, grid, inversions, textures) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def show(ax, image, title=""):
        ax.imshow(image.reshape(3, SIZE, SIZE).permute(1, 2, 0).clamp(0, 1))
        ax.set_title(title, fontsize=9)
        ax.axis("off")

    RESULTS.mkdir(exist_ok=True)
    fig, axes = plt.subplots(len(CONTENTS) + 1, len(STYLES) + 1, figsize=(2.4 * (len(STYLES) + 1), 2.4 * (len(CONTENTS) + 1)))
    axes[0, 0].axis("off")
    for j, style in enumerate(STYLES, start=1):
        show(axes[0, j], pictures[style], f"style: {style}")
    for i, content in enumerate(CONTENTS, start=1):
        show(axes[i, 0], pictures[content], f"content: {content}")
        for j, style in enumerate(STYLES, start=1):
            show(axes[i, j], grid[(content, style)])
    fig.tight_layout()
    fig.savefig(RESULTS / "style_transfer_grid.png", dpi=80)

    fig, axes = plt.subplots(1, len(inversions) + 1, figsize=(2.4 * (len(inversions) + 1), 2.7))
    show(axes[0], pictures["chelsea"], "photo")
    for ax, (title, image) in zip(axes[1:], inversions.items()):
        show(ax, image, f"inverted from {title}")
    fig.tight_layout()
    fig.savefig(RESULTS / "style_transfer_inversion.png", dpi=80)

    styles = sorted({style for style, _ in textures}, key=list(STYLES + ("flower",)).index)
    fig, axes = plt.subplots(len(styles), 3, figsize=(7.2, 2.5 * len(styles)))
    for i, style in enumerate(styles):
        show(axes[i, 0], pictures[style], style)
        show(axes[i, 1], textures[(style, "EfficientNet-Lite0")], "EfficientNet-Lite0")
        show(axes[i, 2], textures[(style, "random network")], "random network")
    fig.tight_layout()
    fig.savefig(RESULTS / "style_transfer_textures.png", dpi=80)


def render(figures: dict) -> str:
    pairs = figures["pairs"]
    drops = [p["style_start"] / p["style_end"] for p in pairs.values()]
    shares = [p["content_end"] / p["content_of_style_image"] for p in pairs.values()]
    passed = sum(d >= GOAL_STYLE_DROP and s <= GOAL_CONTENT_SHARE for d, s in zip(drops, shares))
    adam, lbfgs = figures["optimisers"]["adam"], figures["optimisers"]["lbfgs"]
    lines = [
        f"## {TITLE}",
        "",
        f"Reference `optimise_image`, {figures['steps']} Adam steps at {figures['size']}×{figures['size']}, "
        f"content weight {WEIGHTS['content_weight']:g} (layer 5), style weight {WEIGHTS['style_weights']:g} on layers "
        f"0, 1, 3, 5, 8, total variation {WEIGHTS['tv_weight']:g}, starting from the content photo. Goal: the style "
        f"loss falls ≥ {GOAL_STYLE_DROP:.0f}× and the result's content loss is at most "
        f"{GOAL_CONTENT_SHARE} of the style image's (the content photo's own is 0, so the style image is the "
        f"yardstick). **{passed} of {len(pairs)} pairs meet both.**",
        "",
        "| content × style | style loss: photo → result | falls | content loss: result / style image | relative content error | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for (name, p), drop, share in zip(pairs.items(), drops, shares):
        lines.append(f"| {name} | {p['style_start']:.3g} → {p['style_end']:.3g} | {drop:.1f}× | "
                     f"{p['content_end']:.3g} / {p['content_of_style_image']:.3g} = {share:.2f} | "
                     f"{p['relative_content_error']:.2f} | {p['seconds']:.0f} |")  # fmt: skip
    lines += [
        "",
        f"**Adam against L-BFGS** (chelsea × cells, total loss reached): Adam {adam['steps']} steps "
        f"{adam['total']:.3g} in {adam['seconds']:.0f} s; L-BFGS {lbfgs['steps']} steps (up to 20 evaluations each) "
        f"{lbfgs['total']:.3g} in {lbfgs['seconds']:.0f} s.",
        "",
        "![content × style](results/style_transfer_grid.png)",
        "",
        "Feature inversion (content loss only, from grey noise): what layers 1, 3, 5 and 8 keep of the photo.",
        "",
        "![feature inversion](results/style_transfer_inversion.png)",
        "",
        "Texture synthesis (style loss only, from grey noise) with the trained network and with an untrained "
        "random VGG-like network.",
        "",
        "![textures](results/style_transfer_textures.png)",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
