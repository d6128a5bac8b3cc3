"""Simulated students of a2 `convolutional_networks`: three hand-ins with planted mistakes, each
in different graded cells (one a pooling backward that breaks only on ties, one a network that
leaves out its regulariser), and one correct solution written differently. Each hands in only
convolutional_networks.ipynb (with every a2 module); `dl4cv prove a2 --notebook
convolutional_networks` grades them and checks each scores exactly as listed."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("convolutional_networks",)

IM2COL_BODY = """    windows = xp.as_strided(
        (N, C, filter_height, filter_width, H_out, W_out), (sN, sC, sH, sW, stride * sH, stride * sW)
    )
    cols = windows.reshape(N, C * filter_height * filter_width, H_out * W_out)  # the copy happens here
"""

COL2IM_BODY = """    # the flat position in the padded input of every column entry: im2col of the positions
    positions = torch.arange(N * C * Hp * Wp, device=cols.device).reshape(N, C, Hp, Wp)
    sources = im2col(positions, filter_height, filter_width, stride, 0)  # same layout as cols
    dxp = cols.new_zeros(N * C * Hp * Wp)
    dxp.index_add_(0, sources.reshape(-1), cols.reshape(-1))
"""

POOL_FORWARD_BODY = """    windows = x.unfold(2, ph, stride).unfold(3, pw, stride)  # (N, C, H_out, W_out, ph, pw), a view
    out, argmax = windows.flatten(start_dim=4).max(dim=4)  # (N, C, H_out, W_out) each
"""

POOL_BACKWARD_ADD = """    dx = x.new_zeros(N * C * H * W).index_add_(0, flat.reshape(-1), dout.reshape(-1))
"""

POOL_BACKWARD_BODY = """    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    device = x.device
    rows = torch.arange(H_out, device=device).reshape(H_out, 1) * stride + argmax // pw  # (N, C, H_out, W_out)
    cols = torch.arange(W_out, device=device) * stride + argmax % pw  # (N, C, H_out, W_out)
    images = torch.arange(N * C, device=device).reshape(N, C, 1, 1)
    flat = (images * H + rows) * W + cols  # flat index of every maximum in x
    dx = x.new_zeros(N * C * H * W).index_add_(0, flat.reshape(-1), dout.reshape(-1))
    dx = dx.reshape(N, C, H, W)
"""

GROUPNORM_VARIANCE = "    inv_std = (groups.var(dim=2, unbiased=False, keepdim=True) + eps).rsqrt()  # (N, G, 1)\n"

KAIMING_DRAW = """    draw = torch.randn(shape, generator=generator, dtype=dtype)
    return (math.sqrt(gain / fan_in) * draw).to(device)
"""

STUDENTS = [
    SimulatedStudent(
        "conv_alt_correct",
        "correct, written differently: im2col with Tensor.unfold, col2im by index arithmetic and "
        "scatter_add_, window-major pooling, Kaiming with normal_, group variance by hand",
        notebooks=NOTEBOOK,
        edits=(
            Edit("conv_layers.py", IM2COL_BODY,
                 "    windows = xp.unfold(2, filter_height, stride).unfold(3, filter_width, stride)  # (N, C, Ho, Wo, HH, WW)\n"
                 "    cols = windows.permute(0, 1, 4, 5, 2, 3).reshape(N, C * filter_height * filter_width, -1)\n"),
            Edit("conv_layers.py", COL2IM_BODY,
                 "    H_out, W_out = 1 + (Hp - filter_height) // stride, 1 + (Wp - filter_width) // stride\n"
                 "    dev = cols.device\n"
                 "    k = torch.arange(filter_height, device=dev).reshape(-1, 1, 1, 1)\n"
                 "    l = torch.arange(filter_width, device=dev).reshape(-1, 1, 1)\n"
                 "    i = torch.arange(H_out, device=dev).reshape(-1, 1)\n"
                 "    j = torch.arange(W_out, device=dev)\n"
                 "    pixel = (i * stride + k) * Wp + (j * stride + l)  # (HH, WW, H_out, W_out)\n"
                 "    image = torch.arange(N * C, device=dev).reshape(N, C, 1, 1, 1, 1) * (Hp * Wp)\n"
                 "    index = (image + pixel).reshape(-1)  # laid out like cols\n"
                 "    dxp = cols.new_zeros(N * C * Hp * Wp).scatter_add_(0, index, cols.reshape(-1))\n"),
            Edit("conv_layers.py", POOL_FORWARD_BODY,
                 "    N, C, H, W = x.shape\n"
                 "    H_out, W_out = 1 + (H - ph) // stride, 1 + (W - pw) // stride\n"
                 "    sN, sC, sH, sW = x.stride()\n"
                 "    windows = x.as_strided((N, C, ph, pw, H_out, W_out), (sN, sC, sH, sW, stride * sH, stride * sW))\n"
                 "    out, argmax = windows.reshape(N, C, ph * pw, H_out, W_out).max(dim=2)\n"),
            Edit("conv_layers.py", GROUPNORM_VARIANCE,
                 "    variance = ((groups - mean) ** 2).mean(dim=2, keepdim=True)\n"
                 "    inv_std = 1 / torch.sqrt(variance + eps)  # (N, G, 1)\n"),
            Edit("cnn.py", KAIMING_DRAW,
                 "    weights = torch.empty(shape, dtype=dtype).normal_(0.0, math.sqrt(gain / fan_in), generator=generator)\n"
                 "    return weights.to(device)\n"),
        ),
    ),
    SimulatedStudent(
        "conv_loops_and_wrong_statistics",
        "im2col stacks the windows with a comprehension over kernel offsets, group norm uses the "
        "unbiased variance, and Kaiming keeps the ReLU gain for the last layer",
        notebooks=NOTEBOOK,
        edits=(
            Edit("conv_layers.py", IM2COL_BODY,
                 "    cols = torch.stack([xp[:, :, k : k + stride * (H_out - 1) + 1 : stride, l : l + stride * (W_out - 1) + 1 : stride]\n"
                 "                        for k in range(filter_height) for l in range(filter_width)], dim=2)\n"
                 "    cols = cols.reshape(N, C * filter_height * filter_width, H_out * W_out)\n"),
            Edit("conv_layers.py", GROUPNORM_VARIANCE,
                 "    inv_std = (groups.var(dim=2, keepdim=True) + eps).rsqrt()  # (N, G, 1)\n"),
            Edit("cnn.py", "    gain = 2.0 if relu else 1.0\n", "    gain = 2.0\n"),
        ),
        loses=(
            "a2_convolutional_networks_conv_fast_vectorised",
            "a2_convolutional_networks_spatial_groupnorm",
            "a2_convolutional_networks_kaiming",
        ),
    ),
    SimulatedStudent(
        "conv_unfold_and_overwriting_pool",
        "im2col and col2im call torch.nn.functional.unfold / fold, and the pooling backward "
        "overwrites instead of adding where windows overlap",
        notebooks=NOTEBOOK,
        edits=(
            Edit("conv_layers.py", IM2COL_BODY,
                 "    import torch.nn.functional as F\n"
                 "    cols = F.unfold(xp, (filter_height, filter_width), stride=stride)\n"),
            Edit("conv_layers.py", COL2IM_BODY,
                 "    import torch.nn.functional as F\n"
                 "    dxp = F.fold(cols, (Hp, Wp), (filter_height, filter_width), stride=stride)\n"),
            Edit("conv_layers.py", POOL_BACKWARD_ADD,
                 "    dx = x.new_zeros(N * C * H * W)\n"
                 "    dx[flat.reshape(-1)] = dout.reshape(-1)\n"),
        ),
        loses=(
            "a2_convolutional_networks_conv_fast_no_shortcuts",
            "a2_convolutional_networks_max_pool_fast",
            "a2_convolutional_networks_networks_no_shortcuts",
        ),
    ),
    SimulatedStudent(
        "conv_tied_pool_no_penalty",
        "the fast pooling backward sends each window's gradient to every element equal to its maximum "
        "(right on random floats, wrong on ReLU'd windows of zeros); DeepConvNet leaves the regulariser "
        "out of both its loss and its gradients (its gradient check still agrees)",
        notebooks=NOTEBOOK,
        edits=(
            Edit("conv_layers.py", POOL_BACKWARD_BODY,
                 "    N, C, H, W = x.shape\n"
                 "    _, _, H_out, W_out = dout.shape\n"
                 "    ph = pool_param[\"pool_height\"]\n"
                 "    windows = x.unfold(2, ph, stride).unfold(3, pw, stride)  # (N, C, H_out, W_out, ph, pw)\n"
                 "    tied = (windows == windows.amax(dim=(4, 5), keepdim=True)).to(x.dtype)  # every maximum, ties included\n"
                 "    share = tied * dout[..., None, None]\n"
                 "    r = (torch.arange(H_out, device=x.device) * stride)[:, None, None, None] + torch.arange(ph, device=x.device)[None, None, :, None]\n"
                 "    c = (torch.arange(W_out, device=x.device) * stride)[None, :, None, None] + torch.arange(pw, device=x.device)[None, None, None, :]\n"
                 "    images = torch.arange(N * C, device=x.device).reshape(N, C, 1, 1, 1, 1) * (H * W)\n"
                 "    flat = images + r * W + c  # (N, C, H_out, W_out, ph, pw) positions in x\n"
                 "    dx = x.new_zeros(N * C * H * W).index_add_(0, flat.reshape(-1), share.reshape(-1)).reshape(N, C, H, W)\n"),
            Edit("cnn.py",
                 "        for i in range(1, L + 1):\n"
                 "            W = p[f\"W{i}\"]\n"
                 "            loss = loss + self.reg * (W * W).sum()\n"
                 "            grads[f\"W{i}\"] = grads[f\"W{i}\"] + 2 * self.reg * W\n", ""),
        ),
        loses=("a2_convolutional_networks_max_pool_fast", "a2_convolutional_networks_deep_convnet"),
    ),
]
