"""Simulated students of a3 `style_transfer`: planted mistakes in the Gram matrix, the style and
content losses, the loss of an image and the optimisation loop, each costing exactly the cells
listed (a loss that is wrong also makes the losses built on it and the loop wrong), and one
correct solution written differently."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("style_transfer",)
GID = "a3_style_transfer"
MODULE = "style_transfer.py"

STUDENTS = [
    SimulatedStudent(
        "style_alt_correct",
        "correct, written differently: einsum Gram matrices normalised by the element count, the "
        "content loss as a dot product, total variation with torch.diff, the layers fetched one "
        "list at a time, Adam without a closure and the pixels clamped through .data",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, "    loss = weight * (features - target).square().sum()\n",
                 "    difference = (features - target).flatten()\n"
                 "    loss = (difference @ difference) * weight\n"),
            Edit(MODULE, "    n, c, h, w = features.shape\n"
                         "    flat = features.reshape(n, c, h * w)\n"
                         "    gram = flat @ flat.transpose(1, 2)\n"
                         "    if normalize:\n"
                         "        gram = gram / (c * h * w)\n",
                 "    gram = torch.einsum(\"nchw,ndhw->ncd\", features, features)\n"
                 "    gram = gram / features[0].numel() if normalize else gram\n"),
            Edit(MODULE, "    vertical = (images[:, :, 1:, :] - images[:, :, :-1, :]).square().sum()\n"
                         "    horizontal = (images[:, :, :, 1:] - images[:, :, :, :-1]).square().sum()\n",
                 "    vertical = torch.diff(images, dim=-2).pow(2).sum()\n"
                 "    horizontal = torch.diff(images, dim=-1).pow(2).sum()\n"),
            Edit(MODULE, "    if method == \"adam\":\n"
                         "        optimizer = torch.optim.Adam([image], lr=learning_rate)\n",
                 "    if method == \"adam\":\n"
                 "        optimizer = torch.optim.Adam([image], lr=learning_rate)\n"
                 "        for _ in range(iterations):\n"
                 "            optimizer.zero_grad()\n"
                 "            image_loss(extractor, image, targets)[\"total\"].backward()\n"
                 "            optimizer.step()\n"
                 "            image.data.clamp_(0, 1)\n"
                 "        return image.detach()\n"),
        ),
    ),
    SimulatedStudent(
        "gram_not_normalised",
        "the Gram matrix is not divided by C * H * W (so the style loss and everything built on it are off too)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    if normalize:\n        gram = gram / (c * h * w)\n", ""),),
        loses=(f"{GID}_gram_matrix", f"{GID}_style_loss", f"{GID}_image_loss", f"{GID}_optimise_image"),
    ),
    SimulatedStudent(
        "style_weights_ignored",
        "the style loss adds up the layers without their weights",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    loss = sum(weight * (gram_matrix(maps) - target).square().sum()\n",
                    "    loss = sum((gram_matrix(maps) - target).square().sum()\n"),),
        loses=(f"{GID}_style_loss", f"{GID}_image_loss", f"{GID}_optimise_image"),
    ),
    SimulatedStudent(
        "content_loss_mean",
        "the content loss averages the squared differences instead of adding them up",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    loss = weight * (features - target).square().sum()\n",
                    "    loss = weight * (features - target).square().mean()\n"),),
        loses=(f"{GID}_content_loss", f"{GID}_image_loss", f"{GID}_optimise_image"),
    ),
    SimulatedStudent(
        "extractor_per_term",
        "image_loss runs the network once for the content layer and again for the style layers",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    maps = dict(zip(layers, extractor(image, layers))) if layers else {}\n",
                    "    maps = dict(zip(content_layers, extractor(image, content_layers))) if content_layers else {}\n"
                    "    if targets.style_layers:\n"
                    "        maps.update(zip(targets.style_layers, extractor(image, list(targets.style_layers))))\n"),),
        loses=(f"{GID}_image_loss",),
    ),
    SimulatedStudent(
        "pixels_never_clamped",
        "the loop never puts the pixels back into [0, 1]",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "        optimizer.step(closure)\n        with torch.no_grad():\n            image.clamp_(0, 1)\n",
                    "        optimizer.step(closure)\n"),),
        loses=(f"{GID}_optimise_image",),
    ),
]
