"""Simulated students of a3 `rnn_captioning`: planted mistakes in the embedding, the RNN's
backward pass, the masked loss, decoding and BLEU, costing exactly the cells listed, and one
correct solution written differently. The four mistakes that cost the model's loss each need a
run of their own; three of them share it with a mistake in a function they do not call (decoding,
the embedding's loop, BLEU), costing disjoint cells."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("rnn_captioning",)
GID = "a3_rnn_captioning"
LAYERS, MODEL = "rnn_layers.py", "captioning.py"

STUDENTS = [
    SimulatedStudent(
        "rnn_alt_correct",
        "correct, written differently: embedding gradient as a one-hot matrix product, the RNN step with "
        "torch.addmm and the tanh derivative from the pre-activation, time reversed with flip, BLEU with "
        "explicit n-gram lists",
        notebooks=NOTEBOOK,
        edits=(
            Edit(LAYERS, "    dW = torch.zeros(shape, dtype=dout.dtype, device=dout.device)\n"
                         "    dW.index_add_(0, x.reshape(-1), dout.reshape(-1, shape[1]))\n",
                 "    words = torch.arange(shape[0], device=dout.device)\n"
                 "    one_hot = (x.reshape(-1, 1) == words).to(dout.dtype)  # (N*T, V)\n"
                 "    dW = one_hot.T @ dout.reshape(-1, shape[1])\n"),
            Edit(LAYERS, "    next_h = torch.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)\n"
                         "    cache = (x, prev_h, Wx, Wh, next_h)\n",
                 "    a = torch.addmm(torch.addmm(b, x, Wx), prev_h, Wh)\n"
                 "    next_h = torch.tanh(a)\n"
                 "    cache = (x, prev_h, Wx, Wh, a)\n"),
            Edit(LAYERS, "    x, prev_h, Wx, Wh, next_h = cache\n"
                         "    da = dnext_h * (1 - next_h**2)  # (N, H): through tanh\n",
                 "    x, prev_h, Wx, Wh, a = cache\n"
                 "    da = dnext_h / torch.cosh(a) ** 2\n"),
            Edit(MODEL, "            grams = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))\n",
                 "            grams = Counter([tuple(candidate[i:i + n]) for i in range(max(len(candidate) - n + 1, 0))])\n"),
        ),
    ),
    SimulatedStudent(
        "rnn_embedding_overwrites_and_sample_reads_start",
        "embedding backward assigns dW[x] = dout, so a repeated word keeps one gradient instead of the "
        "sum; and greedy decoding feeds <START> at every step instead of the word just chosen",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "    dW.index_add_(0, x.reshape(-1), dout.reshape(-1, shape[1]))\n",
                    "    dW[x.reshape(-1)] = dout.reshape(-1, shape[1])\n"),
               Edit(MODEL, "            h, _ = layers.rnn_step_forward(p[\"W_embed\"][word], h, p[\"Wx\"], p[\"Wh\"], p[\"b\"])\n",
                    "            h, _ = layers.rnn_step_forward(p[\"W_embed\"][torch.full_like(word, self.start)], h, p[\"Wx\"], p[\"Wh\"], p[\"b\"])\n")),
        loses=(f"{GID}_embedding", f"{GID}_model_loss", f"{GID}_sample"),
    ),
    SimulatedStudent(
        "rnn_tanh_derivative_wrong_and_embedding_backward_loops",
        "the step's backward pass multiplies by 1 - h instead of 1 - h**2; and embedding backward adds "
        "each word's gradient in a Python loop over the batch",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "    da = dnext_h * (1 - next_h**2)  # (N, H): through tanh\n",
                    "    da = dnext_h * (1 - next_h)  # (N, H): through tanh\n"),
               Edit(LAYERS, "    dW.index_add_(0, x.reshape(-1), dout.reshape(-1, shape[1]))\n",
                    "    for n in range(x.shape[0]):\n"
                    "        dW.index_add_(0, x[n], dout[n])\n")),
        loses=(f"{GID}_rnn_step", f"{GID}_rnn_sequence", f"{GID}_model_loss", f"{GID}_overfit", f"{GID}_embedding"),
    ),
    SimulatedStudent(
        "rnn_bptt_forgets_next_step_and_bleu_unclipped",
        "backpropagation through time passes dh[:, t] only, dropping the gradient from step t + 1; and "
        "BLEU counts every candidate n-gram that occurs in a reference, without clipping",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "rnn_step_backward(dh[:, t] + dprev_h, cache[t])", "rnn_step_backward(dh[:, t], cache[t])"),
               Edit(MODEL, "sum(min(count, most[gram]) for gram, count in grams.items())",
                    "sum(count for gram, count in grams.items() if most[gram] > 0)")),
        loses=(f"{GID}_rnn_sequence", f"{GID}_model_loss", f"{GID}_overfit", f"{GID}_bleu"),
    ),
    SimulatedStudent(
        "rnn_loss_counts_null",
        "the softmax loss ignores the mask, so <NULL> padding counts",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "    weight = mask.to(x.dtype)\n", "    weight = torch.ones_like(mask, dtype=x.dtype)\n"),),
        loses=(f"{GID}_softmax_loss", f"{GID}_model_loss"),
    ),
]
