"""Simulated students of a3 `lstm_captioning`: planted mistakes in the LSTM's gates and backward
pass, the decoder's cell state, and the attention, costing exactly the cells listed, and one
correct solution written differently. The gates' mistake costs nearly every cell and stands
alone; each other broken student carries two mistakes in functions that do not call each other
and cost disjoint cells, so one notebook run proves both."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("lstm_captioning",)
GID = "a3_lstm_captioning"
LAYERS, MODEL = "lstm_layers.py", "lstm_captioning.py"

STUDENTS = [
    SimulatedStudent(
        "lstm_alt_correct",
        "correct, written differently: gates from chunk, the candidate's derivative as (1 - g)(1 + g), attention "
        "with einsum and a log-sum-exp softmax",
        notebooks=NOTEBOOK,
        edits=(
            Edit(LAYERS, "    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])\n"
                         "    g = torch.tanh(a[:, 3 * H:])\n",
                 "    a_i, a_f, a_o, a_g = a.chunk(4, dim=1)\n"
                 "    i, f, o, g = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o), torch.tanh(a_g)\n"),
            Edit(LAYERS, "dg * (1 - g**2)], dim=1)", "dg * (1 - g) * (1 + g)], dim=1)"),
            Edit(LAYERS, "    scores = (query.unsqueeze(1) @ cells).squeeze(1) / H**0.5  # (N, S*S)\n"
                         "    scores = scores - scores.amax(1, keepdim=True)\n"
                         "    weights = scores.exp() / scores.exp().sum(1, keepdim=True)\n"
                         "    context = (cells @ weights.unsqueeze(2)).squeeze(2)  # (N, H)\n",
                 "    scores = torch.einsum(\"nh,nhk->nk\", query, cells) / H**0.5\n"
                 "    weights = torch.exp(scores - torch.logsumexp(scores, dim=1, keepdim=True))\n"
                 "    context = torch.einsum(\"nhk,nk->nh\", cells, weights)\n"),
        ),
    ),
    SimulatedStudent(
        "lstm_forget_output_swapped",
        "the forget and output gates read each other's block of the pre-activation",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])\n",
                    "    i, o, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])\n"),),
        loses=(f"{GID}_lstm_step", f"{GID}_lstm_sequence", f"{GID}_lstm_captioner", f"{GID}_lstm_sample",
               f"{GID}_attention_captioner"),
    ),
    SimulatedStudent(
        "lstm_cell_gradient_forgets_next_c_and_attention_unscaled",
        "the cell state's gradient leaves out dnext_c, the part that comes from the next step; and "
        "attention scores are not divided by sqrt(H)",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)", "    dc = dnext_h * o * (1 - tanh_c**2)"),
               Edit(LAYERS, "    scores = (query.unsqueeze(1) @ cells).squeeze(1) / H**0.5  # (N, S*S)\n",
                    "    scores = (query.unsqueeze(1) @ cells).squeeze(1)  # (N, S*S)\n")),
        loses=(f"{GID}_lstm_step", f"{GID}_lstm_sequence", f"{GID}_lstm_captioner", f"{GID}_attention",
               f"{GID}_attention_captioner"),
    ),
    SimulatedStudent(
        "lstm_sample_resets_cell_and_attention_starts_at_zero",
        "greedy decoding restarts the cell state from 0 at every step; and the attention captioner "
        "starts h and c at zero instead of the mean of the projected cells",
        notebooks=NOTEBOOK,
        edits=(Edit(MODEL, "            h, c, _ = lstm_layers.lstm_step_forward(p[\"W_embed\"][word], h, c, p[\"Wx\"], p[\"Wh\"], p[\"b\"])\n",
                    "            h, c, _ = lstm_layers.lstm_step_forward(p[\"W_embed\"][word], h, torch.zeros_like(h), p[\"Wx\"], p[\"Wh\"], p[\"b\"])\n"),
               Edit(MODEL, "        h = grid.mean((2, 3))\n        c = h\n",
                    "        h = torch.zeros_like(grid[:, :, 0, 0])\n        c = h\n")),
        loses=(f"{GID}_lstm_sample", f"{GID}_attention_captioner"),
    ),
]
