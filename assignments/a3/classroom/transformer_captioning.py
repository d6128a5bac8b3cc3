"""Simulated students of a3 `transformer_captioning`: planted mistakes in the attention, the masks,
the positional encoding, the heads, the layers, decoding and the vision transformer, costing
exactly the cells listed, and one correct solution written differently. The mistakes that cost
the captioner each need a run of their own; the heads' shares its run with the positional
encoding's, and decoding's with the vision transformer's (functions that do not call each other,
costing disjoint cells)."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("transformer_captioning",)
GID = "a3_transformer_captioning"
LAYERS, CAPTIONER, VIT = "transformer_layers.py", "transformer_captioning.py", "vision_transformer.py"

STUDENTS = [
    SimulatedStudent(
        "transformer_alt_correct",
        "correct, written differently: attention with einsum, a finite fill value and a softmax by hand; the "
        "causal mask from comparing positions; frequencies through exp and log, written into even and odd "
        "columns; heads split with unflatten and permute; patches with Tensor.unfold",
        notebooks=NOTEBOOK,
        edits=(
            Edit(LAYERS, "    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])\n"
                         "    if mask is not None:\n"
                         "        scores = scores.masked_fill(~mask, float(\"-inf\"))\n"
                         "    weights = torch.softmax(scores, dim=-1)\n"
                         "    output = weights @ value\n",
                 "    scores = torch.einsum(\"...ld,...sd->...ls\", query, key) * query.shape[-1] ** -0.5\n"
                 "    if mask is not None:\n"
                 "        scores = torch.where(mask, scores, torch.finfo(scores.dtype).min)\n"
                 "    shifted = (scores - scores.amax(-1, keepdim=True)).exp()\n"
                 "    weights = shifted / shifted.sum(-1, keepdim=True)\n"
                 "    output = torch.einsum(\"...ls,...se->...le\", weights, value)\n"),
            Edit(LAYERS, "    mask = torch.ones(length, length, dtype=torch.bool, device=device).tril()\n",
                 "    steps = torch.arange(length, device=device)\n"
                 "    mask = steps[:, None] >= steps[None, :]\n"),
            Edit(LAYERS, "    position = torch.arange(length, dtype=dtype, device=device)[:, None]  # (L, 1)\n"
                         "    frequency = base ** (-torch.arange(0, dim, 2, dtype=dtype, device=device) / dim)  # (dim / 2,)\n"
                         "    angle = position * frequency\n"
                         "    encoding = torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)\n",
                 "    even = torch.arange(0, dim, 2, device=device, dtype=dtype)\n"
                 "    angle = torch.outer(torch.arange(length, device=device, dtype=dtype), torch.exp(even * (-math.log(base) / dim)))\n"
                 "    encoding = torch.empty(length, dim, dtype=dtype, device=device)\n"
                 "    encoding[:, 0::2], encoding[:, 1::2] = torch.sin(angle), torch.cos(angle)\n"),
            Edit(LAYERS, "        def split(x: torch.Tensor, length: int) -> torch.Tensor:  # (N, length, D) -> (N, h, length, D / h)\n"
                         "            return x.view(N, length, h, D // h).transpose(1, 2)\n",
                 "        def split(x: torch.Tensor, length: int) -> torch.Tensor:\n"
                 "            return x.unflatten(-1, (h, D // h)).permute(0, 2, 1, 3)\n"),
            Edit(VIT, "    grid = images.reshape(N, C, H // patch, patch, W // patch, patch)\n"
                      "    patches = grid.permute(0, 2, 4, 1, 3, 5).reshape(N, (H // patch) * (W // patch), C * patch * patch)\n",
                 "    tiles = images.unfold(2, patch, patch).unfold(3, patch, patch)  # (N, C, H/p, W/p, p, p)\n"
                 "    patches = tiles.permute(0, 2, 3, 1, 4, 5).flatten(3).flatten(1, 2)\n"),
        ),
    ),
    SimulatedStudent(
        "transformer_mask_fills_zero",
        "masked scores are set to 0 instead of minus infinity, so masked keys keep a weight",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "        scores = scores.masked_fill(~mask, float(\"-inf\"))\n",
                    "        scores = scores.masked_fill(~mask, 0.0)\n"),),
        loses=(f"{GID}_attention", f"{GID}_multi_head_attention", f"{GID}_decoder_layer", f"{GID}_captioner"),
    ),
    SimulatedStudent(
        "transformer_causal_off_by_one",
        "the causal mask lets every position see the next one too (tril(1))",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "    mask = torch.ones(length, length, dtype=torch.bool, device=device).tril()\n",
                    "    mask = torch.ones(length, length, dtype=torch.bool, device=device).tril(1)\n"),),
        loses=(f"{GID}_causal_mask", f"{GID}_captioner"),
    ),
    SimulatedStudent(
        "transformer_decoder_post_norm",
        "the decoder layer normalises after the residual sum (the original transformer's order), not before",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "        normed = self.norm1(x)\n"
                            "        x = x + self.dropout(self.self_attention(normed, normed, normed, mask)[0])\n"
                            "        attended, cross_weights = self.cross_attention(self.norm2(x), memory, memory)\n"
                            "        x = x + self.dropout(attended)\n"
                            "        x = x + self.dropout(self.feed_forward(self.norm3(x)))\n",
                    "        x = self.norm1(x + self.dropout(self.self_attention(x, x, x, mask)[0]))\n"
                    "        attended, cross_weights = self.cross_attention(x, memory, memory)\n"
                    "        x = self.norm2(x + self.dropout(attended))\n"
                    "        x = self.norm3(x + self.dropout(self.feed_forward(x)))\n"),),
        loses=(f"{GID}_decoder_layer", f"{GID}_captioner"),
    ),
    SimulatedStudent(
        "transformer_ignores_padding",
        "the captioner's self-attention mask is causal only: positions may look at <NULL> keys",
        notebooks=NOTEBOOK,
        edits=(Edit(CAPTIONER, "        mask = transformer_layers.causal_mask(T, device=captions_in.device) & (captions_in != self.null)[:, None, :]\n",
                    "        mask = transformer_layers.causal_mask(T, device=captions_in.device)\n"),),
        loses=(f"{GID}_captioner",),
    ),
    SimulatedStudent(
        "transformer_positions_in_halves_and_heads_mixed_up",
        "the positional encoding puts all sines first and all cosines after, instead of interleaving them; "
        "and heads split with view(N, h, length, D / h), which cuts across positions instead of features",
        notebooks=NOTEBOOK,
        edits=(Edit(LAYERS, "    encoding = torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)\n",
                    "    encoding = torch.cat([angle.sin(), angle.cos()], dim=-1)\n"),
               Edit(LAYERS, "            return x.view(N, length, h, D // h).transpose(1, 2)\n",
                    "            return x.view(N, h, length, D // h)\n")),
        loses=(f"{GID}_positional_encoding", f"{GID}_multi_head_attention", f"{GID}_decoder_layer",
               f"{GID}_encoder_layer", f"{GID}_captioner", f"{GID}_vision_transformer"),
    ),
    SimulatedStudent(
        "transformer_sample_writes_past_end_and_vit_class_token_last",
        "greedy decoding keeps the words chosen after <END> instead of <NULL>; and the class token is "
        "put after the patches, but the head still reads the first token",
        notebooks=NOTEBOOK,
        edits=(Edit(CAPTIONER, "            words = torch.cat([words, torch.where(finished, self.null, chosen)[:, None]], dim=1)\n",
                    "            words = torch.cat([words, chosen[:, None]], dim=1)\n"),
               Edit(VIT, "        x = torch.cat([self.class_token.expand(len(tokens), -1, -1), tokens], dim=1) + self.positions\n",
                    "        x = torch.cat([tokens, self.class_token.expand(len(tokens), -1, -1)], dim=1) + self.positions\n")),
        loses=(f"{GID}_sample", f"{GID}_vision_transformer"),
    ),
]
