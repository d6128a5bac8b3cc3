"""Simulated students of a1 `features`: one planted mistake per rule, a loop over cells (which
grows with the image), one correct solution written differently, one that loops over the nine
orientation bins (allowed: full marks), and one whose two-layer network is broken (which must
cost nothing here).
Each hands in only features.ipynb; `dl4cv prove a1 --notebook features` grades them."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("features",)

HOG_PIPELINE = """    gx, gy = image_gradients(to_grey(images))
    hist = orientation_histograms(gx, gy, cell_size, num_bins)  # (N, rows, cols, num_bins)
"""

GRADIENTS = """    gx = torch.zeros_like(grey)
    gy = torch.zeros_like(grey)
    gx[:, :, 1:-1] = grey[:, :, 2:] - grey[:, :, :-2]
    gy[:, 1:-1, :] = grey[:, 2:, :] - grey[:, :-2, :]
"""

CELL_VOTES = """    # First histogram slot of the cell each pixel falls in, cells numbered row by row.
    cell_row = torch.arange(rows * cell_size, device=gx.device) // cell_size  # (h,)
    cell_col = torch.arange(cols * cell_size, device=gx.device) // cell_size  # (w,)
    offset = ((cell_row[:, None] * cols + cell_col[None, :]) * num_bins).to(gx.dtype)  # (h, w)
    hist = gx.new_zeros(N, rows * cols * num_bins)
    hist.scatter_add_(1, (offset + lower).long().flatten(1), (magnitude * (1 - upper_weight)).flatten(1))
    hist.scatter_add_(1, (offset + upper).long().flatten(1), (magnitude * upper_weight).flatten(1))
    hist = hist.view(N, rows, cols, num_bins)
"""

BINNING = """    lower = position.floor()  # (N, h, w), whole numbers 0..num_bins kept as floats (fast)
    upper_weight = position - lower  # share of the vote that goes to the next bin
    lower = torch.where(lower >= num_bins, lower - num_bins, lower)  # orientation pi is 0
    upper = torch.where(lower + 1 >= num_bins, lower + 1 - num_bins, lower + 1)
""" + CELL_VOTES

HUE = """    value = x.amax(dim=1)  # (N, H, W)
    chroma = value - x.amin(dim=1)  # (N, H, W)
    # torch.where evaluates both branches: divide by 1 wherever the true divisor is 0.
    safe_chroma = torch.where(chroma > 0, chroma, 1.0)
    saturation = torch.where(value > 0, chroma / torch.where(value > 0, value, 1.0), 0.0)
    hue = torch.where(
        value == r,
        torch.remainder((g - b) / safe_chroma, 6),
        torch.where(value == g, (b - r) / safe_chroma + 2, (r - g) / safe_chroma + 4),
    )
    hue = torch.where(chroma > 0, hue / 6, 0.0)
"""


COUNTING = """    bins = (values * num_bins).long().clamp(0, num_bins - 1).flatten(1)  # (N, H * W)
    hist = values.new_zeros(values.shape[0], num_bins)
    hist.scatter_add_(1, bins, torch.ones_like(values.flatten(1)))
"""

STUDENTS = [
    SimulatedStudent(
        "features_alt_correct",
        "a correct solution written differently (padding, triangular one-hot votes, gathered hue, one_hot counts)",
        notebooks=NOTEBOOK,
        edits=(
            Edit("features.py", GRADIENTS,
                 "    gx = torch.nn.functional.pad(grey[:, :, 2:] - grey[:, :, :-2], (1, 1))\n"
                 "    gy = torch.nn.functional.pad(grey[:, 2:, :] - grey[:, :-2, :], (0, 0, 1, 1))\n"),
            Edit("features.py", BINNING,
                 "    centres = torch.arange(num_bins, device=gx.device, dtype=gx.dtype)  # (B,)\n"
                 "    gap = torch.remainder(position[..., None] - centres, num_bins)  # (N, h, w, B)\n"
                 "    share = (1 - torch.minimum(gap, num_bins - gap)).clamp_min(0)  # circular triangle\n"
                 "    votes = magnitude[..., None] * share  # (N, h, w, B)\n"
                 "    hist = votes.view(N, rows, cell_size, cols, cell_size, num_bins).sum(dim=(2, 4))\n"),
            Edit("features.py", HUE,
                 "    value, which = x.max(dim=1)  # (N, H, W): the largest channel and which one it is\n"
                 "    chroma = value - x.min(dim=1).values\n"
                 "    saturation = chroma / value.clamp_min(1e-30)\n"
                 "    c = chroma.clamp_min(1e-30)\n"
                 "    sextant = torch.stack([torch.remainder((g - b) / c, 6), (b - r) / c + 2, (r - g) / c + 4], dim=1)\n"
                 "    hue = torch.where(chroma > 0, sextant.gather(1, which[:, None])[:, 0] / 6, 0.0)\n"),
            Edit("features.py", COUNTING,
                 "    bins = (values * num_bins).floor().clamp(max=num_bins - 1).long()  # (N, H, W)\n"
                 "    hist = torch.nn.functional.one_hot(bins.flatten(1), num_bins).sum(dim=1).to(values.dtype)\n"),
            Edit("features.py", "    std = ((x_train - mean) ** 2).mean(dim=0).sqrt()\n",
                 "    std = x_train.std(dim=0, correction=0)\n"),
        ),
    ),
    SimulatedStudent(
        "features_hidden_image_loop",
        "HOG one image at a time through itertools.starmap: no loop statement, but the work grows with the batch (and it is slow)",
        notebooks=NOTEBOOK,
        edits=(Edit("features.py", HOG_PIPELINE,
                    "    import itertools\n"
                    "    one = lambda image: orientation_histograms(*image_gradients(to_grey(image[None])), cell_size, num_bins)\n"
                    "    hist = torch.cat(list(itertools.starmap(one, zip(images))))  # (N, rows, cols, num_bins)\n"),),
        loses=("a1_features_hog_vectorised",),
    ),
    SimulatedStudent(
        "features_signed_orientation",
        "orientations not folded: nine bins spread over the full circle [0, 2 pi)",
        notebooks=NOTEBOOK,
        edits=(Edit("features.py",
                    "    angle = torch.remainder(torch.atan2(gy, gx), math.pi)  # (N, h, w), in [0, pi]\n"
                    "    position = angle * (num_bins / math.pi)  # in bin units, in [0, num_bins]\n",
                    "    angle = torch.remainder(torch.atan2(gy, gx), 2 * math.pi)  # (N, h, w), signed\n"
                    "    position = angle * (num_bins / (2 * math.pi))\n"),),
        loses=("a1_features_orientation_histograms",),
    ),
    SimulatedStudent(
        "features_uses_histc",
        "counts the histogram bins with torch.histc on per-image offsets (right values, no loop)",
        notebooks=NOTEBOOK,
        edits=(Edit("features.py", COUNTING,
                    "    bins = (values * num_bins).long().clamp(0, num_bins - 1).flatten(1)  # (N, H * W)\n"
                    "    slots = bins + num_bins * torch.arange(values.shape[0], device=values.device)[:, None]\n"
                    "    total = values.shape[0] * num_bins\n"
                    "    hist = torch.histc(slots.to(values.dtype), bins=total, min=-0.5, max=total - 0.5).view(-1, num_bins)\n"),),
        loses=("a1_features_histogram_rules",),
    ),
    SimulatedStudent(
        "features_broken_net",
        "two_layer_net.py fails on import: only the ungraded classifier section of this notebook suffers",
        notebooks=NOTEBOOK,
        edits=(Edit("two_layer_net.py", "class TwoLayerNet:",
                    "raise RuntimeError('this two_layer_net.py is broken')\n\n\nclass TwoLayerNet:"),),
    ),
    SimulatedStudent(
        "features_loop_over_bins",
        "cell histograms built one orientation bin at a time: a loop over the fixed nine bins, allowed, full marks",
        notebooks=NOTEBOOK,
        edits=(Edit("features.py", CELL_VOTES,
                    "    hist = gx.new_zeros(N, rows, cols, num_bins)\n"
                    "    for b in range(num_bins):  # a fixed count, whatever the images\n"
                    "        votes = magnitude * ((lower == b) * (1 - upper_weight) + (upper == b) * upper_weight)  # (N, h, w)\n"
                    "        hist[..., b] = votes.view(N, rows, cell_size, cols, cell_size).sum((2, 4))\n"),),
    ),
    SimulatedStudent(
        "features_loop_over_cells",
        "cell histograms one row of cells at a time (right values): the loop grows with the image size",
        notebooks=NOTEBOOK,
        edits=(Edit("features.py", CELL_VOTES,
                    "    hist = gx.new_zeros(N, rows, cols, num_bins)\n"
                    "    offset = ((torch.arange(cols * cell_size, device=gx.device) // cell_size) * num_bins).to(gx.dtype)\n"
                    "    for i in range(rows):\n"
                    "        band = slice(i * cell_size, (i + 1) * cell_size)\n"
                    "        part = gx.new_zeros(N, cols * num_bins)\n"
                    "        part.scatter_add_(1, (offset + lower[:, band]).long().flatten(1), (magnitude[:, band] * (1 - upper_weight[:, band])).flatten(1))\n"
                    "        part.scatter_add_(1, (offset + upper[:, band]).long().flatten(1), (magnitude[:, band] * upper_weight[:, band]).flatten(1))\n"
                    "        hist[:, i] = part.view(N, cols, num_bins)\n"),),
        loses=("a1_features_hog_vectorised",),
    ),
]
