"""Simulated students of a3 `self_supervised`: planted mistakes in NT-Xent, the SimCLR loss,
CLIP's loss and the zero-shot scores, costing exactly the cells listed (a wrong NT-Xent also
makes the SimCLR loss built on it wrong), and one correct solution written differently. Each
NT-Xent mistake shares its notebook run with a mistake in a function it does not call (CLIP's
loss, the zero-shot scores), costing disjoint cells."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("self_supervised",)
GID = "a3_self_supervised"
MODULE = "self_supervised.py"

NT_XENT_BODY = (
    "    z = torch.cat([z1, z2])\n"
    "    z = z / torch.sqrt((z * z).sum(1, keepdim=True))\n"
    "    n = len(z1)\n"
    "    scores = z @ z.T / temperature\n"
    "    itself = torch.eye(2 * n, dtype=torch.bool, device=z.device)\n"
    "    scores = scores.masked_fill(itself, float(\"-inf\"))\n"
    "    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)\n"
    "    positives = scores[torch.arange(2 * n, device=z.device), partner]\n"
    "    loss = (torch.logsumexp(scores, dim=1) - positives).mean()\n"
)

STUDENTS = [
    SimulatedStudent(
        "self_supervised_alt_correct",
        "correct, written differently: NT-Xent with a hand-made stable log-sum-exp over an "
        "off-diagonal mask and the positives from row-wise dot products of the two views; CLIP's "
        "loss through log-softmax rows and columns; zero-shot scores with einsum and rsqrt",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, NT_XENT_BODY,
                 "    a = z1 / z1.norm(dim=1, keepdim=True)\n"
                 "    b = z2 / z2.norm(dim=1, keepdim=True)\n"
                 "    both = torch.cat([a, b])\n"
                 "    scores = both @ both.T / temperature\n"
                 "    others = ~torch.eye(len(both), dtype=torch.bool, device=both.device)\n"
                 "    top = scores.max(dim=1, keepdim=True).values\n"
                 "    log_denominator = top[:, 0] + torch.log((torch.exp(scores - top) * others).sum(dim=1))\n"
                 "    positive = (a * b).sum(dim=1).repeat(2) / temperature\n"
                 "    loss = torch.mean(log_denominator - positive)\n"),
            Edit(MODULE, "    logits = log_scale.exp() * images @ texts.T\n"
                         "    right = torch.diagonal(logits)\n"
                         "    per_image = torch.logsumexp(logits, dim=1) - right\n"
                         "    per_text = torch.logsumexp(logits, dim=0) - right\n"
                         "    loss = (per_image.mean() + per_text.mean()) / 2\n",
                 "    logits = torch.exp(log_scale) * (images @ texts.T)\n"
                 "    rows = logits - logits.logsumexp(dim=1, keepdim=True)\n"
                 "    columns = logits - logits.logsumexp(dim=0, keepdim=True)\n"
                 "    loss = -(rows.diagonal().sum() + columns.diagonal().sum()) / (2 * len(logits))\n"),
            Edit(MODULE, "    images = image_embeddings / image_embeddings.norm(dim=1, keepdim=True)\n"
                         "    prompts = prompt_embeddings / prompt_embeddings.norm(dim=1, keepdim=True)\n"
                         "    scores = images @ prompts.T\n",
                 "    images = image_embeddings * torch.rsqrt((image_embeddings**2).sum(-1, keepdim=True))\n"
                 "    prompts = prompt_embeddings * torch.rsqrt((prompt_embeddings**2).sum(-1, keepdim=True))\n"
                 "    scores = torch.einsum(\"nd,pd->np\", images, prompts)\n"),
        ),
    ),
    SimulatedStudent(
        "nt_xent_keeps_itself_and_clip_images_only",
        "NT-Xent's denominator keeps each row's similarity with itself (the diagonal is not masked); and "
        "CLIP's loss keeps only the images' rows (image -> text), not the texts' columns",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    scores = scores.masked_fill(itself, float(\"-inf\"))\n", ""),
               Edit(MODULE, "    loss = (per_image.mean() + per_text.mean()) / 2\n",
                    "    loss = per_image.mean()\n")),
        loses=(f"{GID}_nt_xent", f"{GID}_simclr_loss", f"{GID}_clip_loss"),
    ),
    SimulatedStudent(
        "nt_xent_drops_the_positive_and_zero_shot_unnormalised_prompts",
        "NT-Xent's denominator leaves out the positive pair too (only the negatives), which is not "
        "the loss the notebook defines; and the zero-shot scores scale the images to unit length but "
        "not the prompts",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    loss = (torch.logsumexp(scores, dim=1) - positives).mean()\n",
                    "    negatives = scores.clone()\n"
                    "    negatives[torch.arange(2 * n, device=z.device), partner] = float(\"-inf\")\n"
                    "    loss = (torch.logsumexp(negatives, dim=1) - positives).mean()\n"),
               Edit(MODULE, "    prompts = prompt_embeddings / prompt_embeddings.norm(dim=1, keepdim=True)\n",
                    "    prompts = prompt_embeddings\n")),
        loses=(f"{GID}_nt_xent", f"{GID}_simclr_loss", f"{GID}_zero_shot"),
    ),
    SimulatedStudent(
        "simclr_one_view",
        "the SimCLR loss augments the batch once and compares the view with itself",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    first, second = augment(images), augment(images)\n",
                    "    first = second = augment(images)\n"),),
        loses=(f"{GID}_simclr_loss",),
    ),
]
