"""Simulated students of a2 `batch_normalization`: two submissions with planted mistakes, each
costing exactly the cells listed, and one correct solution written differently."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("batch_normalization",)
GID = "a2_batch_normalization"

TRAIN_BODY = """        mean = x.mean(dim=0)  # (D,)
        centred = x - mean  # (N, D)
        var = (centred**2).mean(dim=0)  # (D,) biased, used to normalise
        std = torch.sqrt(var + eps)  # (D,)
        inv_std = 1.0 / std  # (D,)
        x_hat = centred * inv_std  # (N, D)
        out = gamma * x_hat + beta  # (N, D)
        cache = (x_hat, gamma, centred, var, std, inv_std, eps)
        unbiased_var = var * (num_rows / (num_rows - 1))
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * unbiased_var
"""
TEST_LINE = "        x_hat = (x - running_mean) / torch.sqrt(running_var + eps)  # (N, D)\n"
ALT_LINE = "    dx = (gamma * inv_std) * (dout - dbeta / num_rows - x_hat * (dgamma / num_rows))  # (N, D)\n"
LN_FORWARD = """    mean = x.mean(dim=1, keepdim=True)  # (N, 1)
    centred = x - mean  # (N, D)
    var = (centred**2).mean(dim=1, keepdim=True)  # (N, 1) biased
    inv_std = 1.0 / torch.sqrt(var + eps)  # (N, 1)
    x_hat = centred * inv_std  # (N, D)
    out = gamma * x_hat + beta  # (N, D)
    cache = (x_hat, gamma, inv_std)
"""
LN_DX = "    dx = inv_std * (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat)  # (N, D)\n"

STUDENTS = [
    SimulatedStudent(
        "bn_alt_correct",
        "correct, written differently: var()/rsqrt/addcmul/lerp, the mean form of the simplified "
        "backward, layer norm through a transpose",
        notebooks=NOTEBOOK,
        edits=(
            Edit("batchnorm.py", TRAIN_BODY,
                 "        mean = x.mean(0)\n"
                 "        var = x.var(0, unbiased=False)\n"
                 "        inv_std = torch.rsqrt(var + eps)\n"
                 "        x_hat = (x - mean) * inv_std\n"
                 "        out = torch.addcmul(beta, gamma, x_hat)\n"
                 "        cache = (x_hat, gamma, x - mean, var, 1 / inv_std, inv_std, eps)\n"
                 "        running_mean = running_mean.lerp(mean, momentum)\n"
                 "        running_var = running_var.lerp(x.var(0, unbiased=True), momentum)\n"),
            Edit("batchnorm.py", TEST_LINE,
                 "        x_hat = (x - running_mean) * torch.rsqrt(running_var + eps)\n"),
            Edit("batchnorm.py", ALT_LINE,
                 "    g = dout * gamma\n"
                 "    dx = inv_std * (g - g.mean(0) - x_hat * (g * x_hat).mean(0))\n"),
            Edit("batchnorm.py", LN_FORWARD,
                 "    xt = x.t()  # (D, N): the statistics of each example are now a column's\n"
                 "    inv_std = torch.rsqrt(xt.var(0, unbiased=False) + eps)  # (N,)\n"
                 "    x_hat = ((xt - xt.mean(0)) * inv_std).t()  # (N, D)\n"
                 "    out = torch.addcmul(beta, gamma, x_hat)\n"
                 "    cache = (x_hat, gamma, inv_std[:, None])\n"),
        ),
    ),
    SimulatedStudent(
        "bn_biased_running_var_missing_paths",
        "running variance from the biased batch variance; the graph backward forgets the path "
        "through the variance; layer norm's dx drops its x_hat term",
        notebooks=NOTEBOOK,
        edits=(
            Edit("batchnorm.py", "        unbiased_var = var * (num_rows / (num_rows - 1))\n",
                 "        unbiased_var = var\n"),
            Edit("batchnorm.py", "    dcentred = dcentred + dvar * 2.0 * centred / num_rows  # var = mean(centred ** 2), second path\n",
                 ""),
            Edit("batchnorm.py", LN_DX, "    dx = inv_std * (dx_hat - mean_dx_hat)  # (N, D)\n"),
        ),
        loses=(f"{GID}_running_stats", f"{GID}_backward", f"{GID}_layernorm", f"{GID}_fc_net"),
    ),
    SimulatedStudent(
        "bn_looped_alt_batch_stats_at_test",
        "the simplified backward loops over the features; test mode normalises with the batch's "
        "own statistics instead of the running ones",
        notebooks=NOTEBOOK,
        edits=(
            Edit("batchnorm.py", ALT_LINE,
                 "    dx = torch.empty_like(dout)\n"
                 "    for j in range(dout.shape[1]):\n"
                 "        dx[:, j] = (gamma[j] * inv_std[j]) * (dout[:, j] - dbeta[j] / num_rows - x_hat[:, j] * (dgamma[j] / num_rows))\n"),
            Edit("batchnorm.py", TEST_LINE,
                 "        x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)  # (N, D)\n"),
        ),
        loses=(f"{GID}_forward_test", f"{GID}_backward_alt_speed", f"{GID}_rules", f"{GID}_fc_net"),
    ),
    SimulatedStudent(
        "bn_layernorm_over_the_batch",
        "layer norm's forward takes its statistics over the batch (dim 0) instead of each row's features "
        "(the FC net with layer norm uses it, so that cell goes too)",
        notebooks=NOTEBOOK,
        edits=(Edit("batchnorm.py",
                    "    mean = x.mean(dim=1, keepdim=True)  # (N, 1)\n    centred = x - mean  # (N, D)\n"
                    "    var = (centred**2).mean(dim=1, keepdim=True)  # (N, 1) biased\n",
                    "    mean = x.mean(dim=0, keepdim=True)\n    centred = x - mean\n"
                    "    var = (centred**2).mean(dim=0, keepdim=True)\n"),),
        loses=(f"{GID}_layernorm", f"{GID}_fc_net"),
    ),
]
