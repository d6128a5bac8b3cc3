"""Simulated students of a5 `segmentation_and_denoising`: one correct solution written differently
and broken ones, each handing in only segmentation_and_denoising.ipynb; `dl4cv prove a5 --notebook
segmentation_and_denoising` grades them and checks each scores exactly as listed. The training
cells measure with torchmetrics and torchvision, so a broken metric or blur costs only its own
cell; a broken U-Net or denoise also costs the training it feeds. Students whose mistakes sit in
cells that do not use each other's code carry two or three at once, which saves notebook runs."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "segmentation_and_denoising.py"
NOTEBOOK = ("segmentation_and_denoising",)
P = "a5_segmentation_and_denoising_"

FORWARD = """        skips = []
        x = images
        for level, block in enumerate(self.encoder):
            if level > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for level in reversed(range(len(self.up))):
            x = self.decoder[level](torch.cat([self.up[level](x), skips[level]], dim=1))
        return self.head(x)
"""
FORWARD_RECURSIVE = """        def level(x, depth):
            features = self.encoder[depth](x)
            if depth == len(self.encoder) - 1:
                return features
            deeper = level(nn.functional.max_pool2d(features, kernel_size=2, stride=2), depth + 1)
            return self.decoder[depth](torch.cat((self.up[depth](deeper), features), 1))

        return self.head(level(images, 0))
"""
SKIP_LINE = "            x = self.decoder[level](torch.cat([self.up[level](x), skips[level]], dim=1))\n"
CROSS_ENTROPY = """    log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    picked = log_probabilities.gather(1, target.unsqueeze(1)).squeeze(1)
"""
CROSS_ENTROPY_ONE_HOT = """    log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    chosen = torch.zeros_like(logits).scatter_(1, target.unsqueeze(1), 1.0)
    picked = (log_probabilities * chosen).sum(1)
"""
WEIGHTED = "    return -(pixel_weight * picked).sum() / pixel_weight.sum()\n"
DICE = """    sums = (0, 2, 3)
    overlap = (probabilities * one_hot).sum(sums)
    dice = (2 * overlap + smoothing) / (probabilities.sum(sums) + one_hot.sum(sums) + smoothing)
"""
DICE_EINSUM = """    overlap = torch.einsum("nchw,nchw->c", probabilities, one_hot)
    dice = (2 * overlap + smoothing) / (torch.einsum("nchw->c", probabilities) + torch.einsum("nchw->c", one_hot) + smoothing)
"""
DICE_PER_IMAGE = """    sums = (2, 3)
    overlap = (probabilities * one_hot).sum(sums)
    dice = (2 * overlap + smoothing) / (probabilities.sum(sums) + one_hot.sum(sums) + smoothing)
"""
CONFUSION = """    pairs = target.flatten() * classes + predicted.flatten()
    return torch.bincount(pairs, minlength=classes * classes).reshape(classes, classes)
"""
CONFUSION_INDEX_PUT = """    counts = torch.zeros(classes, classes, dtype=torch.int64, device=target.device)
    ones = torch.ones(target.numel(), dtype=torch.int64, device=target.device)
    return counts.index_put_((target.flatten(), predicted.flatten()), ones, accumulate=True)
"""
UNION = "    union = confusion.sum(0) + confusion.sum(1) - hits\n"
BLUR = """    x = F.pad(images, (pad, pad, pad, pad), mode="reflect")
"""
BLUR_ZERO_PAD = """    x = F.pad(images, (pad, pad, pad, pad))
"""
BLUR_SEPARATE = """    x = F.pad(images, (pad, pad, pad, pad), mode="reflect")
    x = x.reshape(-1, 1, *x.shape[2:])
    x = F.conv2d(F.conv2d(x, kernel.view(1, 1, 1, size)), kernel.view(1, 1, size, 1))
    return x.reshape(images.shape)
"""
PSNR = "    return -10 * torch.log10(mse)\n"
SSIM_PAD = "        return F.conv2d(F.pad(x, (pad, pad, pad, pad), mode=\"reflect\"), window, groups=channels)\n"
DENOISE = "    return (noisy - model(noisy)).clamp(0, 1)\n"

STUDENTS = [
    SimulatedStudent(
        f"{NOTEBOOK[0]}_alt_correct",
        "a recursive forward, cross-entropy through a scattered one-hot, Dice with einsum, the confusion "
        "matrix by index_put_, blur channels folded into the batch, PSNR from F.mse_loss, denoise with torch.clip",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, FORWARD, FORWARD_RECURSIVE), Edit(MODULE, CROSS_ENTROPY, CROSS_ENTROPY_ONE_HOT),
               Edit(MODULE, DICE, DICE_EINSUM), Edit(MODULE, CONFUSION, CONFUSION_INDEX_PUT),
               Edit(MODULE, BLUR + """    x = F.conv2d(x, kernel.view(1, 1, 1, size).expand(channels, 1, 1, size), groups=channels)
    return F.conv2d(x, kernel.view(1, 1, size, 1).expand(channels, 1, size, 1), groups=channels)
""", BLUR_SEPARATE),
               Edit(MODULE, """    mse = (clean - estimate).pow(2).flatten(1).mean(1)
    return -10 * torch.log10(mse)
""", """    mse = F.mse_loss(estimate, clean, reduction="none").mean((1, 2, 3))
    return 10 * torch.log10(1 / mse)
"""),
               Edit(MODULE, DENOISE, "    return torch.clip(noisy - model(noisy), min=0.0, max=1.0)\n")),
    ),
    SimulatedStudent(
        f"{NOTEBOOK[0]}_no_skip_connections_unnormalised_weights_and_iou_without_overlap",
        "the decoder concatenates the upsampled features with themselves instead of the encoder's; weighted "
        "cross-entropy divided by the pixel count, not the weights' sum; IoU's union counts the hits twice",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, SKIP_LINE, "            up = self.up[level](x)\n            x = self.decoder[level](torch.cat([up, up], dim=1))\n"),
               Edit(MODULE, WEIGHTED, "    return -(pixel_weight * picked).mean()\n"),
               Edit(MODULE, UNION, "    union = confusion.sum(0) + confusion.sum(1)\n")),
        loses=(P + "unet_forward", P + "denoiser_trains", P + "pixel_cross_entropy", P + "class_iou"),
    ),
    SimulatedStudent(
        f"{NOTEBOOK[0]}_dice_per_image_natural_log_psnr_zero_padding_and_returns_the_noise",
        "Dice sums over each image (then averages images too); PSNR with the natural logarithm; blur and SSIM "
        "pad the border with zeros; denoise returns the predicted noise instead of the image",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, DICE, DICE_PER_IMAGE), Edit(MODULE, PSNR, "    return -10 * torch.log(mse)\n"),
               Edit(MODULE, BLUR, BLUR_ZERO_PAD),
               Edit(MODULE, SSIM_PAD, "        return F.conv2d(F.pad(x, (pad, pad, pad, pad)), window, groups=channels)\n"),
               Edit(MODULE, DENOISE, "    return model(noisy).clamp(0, 1)\n")),
        loses=(P + "soft_dice_loss", P + "psnr", P + "gaussian_blur", P + "ssim", P + "denoise", P + "denoiser_trains"),
    ),
]
