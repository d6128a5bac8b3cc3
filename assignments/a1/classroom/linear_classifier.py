"""Simulated students for a1 linear_classifier: one planted mistake per rule, each costing exactly
the cells listed, and a correct solution written differently that keeps full marks."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "linear_classifier.py"
NB = ("linear_classifier",)

SVM_VECTORISED_BODY = """    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X @ W  # (N, C)
    correct = scores[rows, y].unsqueeze(1)  # (N, 1)
    margins = (scores - correct + 1).clamp_min(0)  # (N, C)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * (W * W).sum()
    coeff = (margins > 0).to(X.dtype)  # (N, C): +1 where a wrong class violates the margin
    coeff[rows, y] = -coeff.sum(dim=1)  # the correct class loses one X[i] per violation
    dW = X.T @ coeff / num_train + 2 * reg * W  # (D, C)
"""

SOFTMAX_VECTORISED_BODY = """    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X @ W  # (N, C)
    shifted = scores - scores.max(dim=1, keepdim=True).values  # (N, C), largest entry 0
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))  # (N, C)
    loss = -log_probs[rows, y].sum() / num_train + reg * (W * W).sum()
    coeff = torch.exp(log_probs)  # (N, C) probabilities
    coeff[rows, y] -= 1
    dW = X.T @ coeff / num_train + 2 * reg * W  # (D, C)
"""

ALT_SVM = """    one_hot = (y[:, None] == torch.arange(W.shape[1], device=y.device)).to(X.dtype)  # (N, C)
    scores = X.mm(W)  # (N, C)
    correct = (scores * one_hot).sum(dim=1, keepdim=True)  # (N, 1)
    margins = torch.where(one_hot.bool(), torch.zeros_like(scores), scores - correct + 1).clamp(min=0)
    loss = margins.sum() / X.shape[0] + reg * W.pow(2).sum()
    active = (margins > 0).to(X.dtype)  # (N, C)
    dW = X.t().mm(active - one_hot * active.sum(dim=1, keepdim=True)) / X.shape[0] + reg * 2 * W
"""

ALT_SOFTMAX = """    scores = X.mm(W)  # (N, C)
    scores = scores - scores.amax(dim=1, keepdim=True)
    exp = scores.exp()
    probs = exp / exp.sum(dim=1, keepdim=True)  # (N, C)
    one_hot = torch.zeros_like(probs).scatter_(1, y[:, None], 1.0)  # (N, C)
    loss = (exp.sum(dim=1).log() - (scores * one_hot).sum(dim=1)).mean() + reg * W.pow(2).sum()
    dW = X.t().mm(probs - one_hot) / X.shape[0] + reg * 2 * W
"""

STUDENTS = [
    SimulatedStudent(
        "linear_looped_softmax",
        "vectorised softmax that still loops over the examples to subtract 1 at the labels",
        notebooks=NB,
        edits=(Edit(MODULE, "    coeff[rows, y] -= 1\n", "    for i in range(num_train):\n        coeff[i, y[i]] -= 1\n"),),
        loses=("a1_linear_classifier_softmax_no_loops",),
    ),
    SimulatedStudent(
        "linear_svm_grad_no_reg",
        "vectorised SVM gradient without the regulariser's 2 * reg * W",
        notebooks=NB,
        edits=(Edit(
            MODULE,
            "    coeff[rows, y] = -coeff.sum(dim=1)  # the correct class loses one X[i] per violation\n"
            "    dW = X.T @ coeff / num_train + 2 * reg * W  # (D, C)\n",
            "    coeff[rows, y] = -coeff.sum(dim=1)  # the correct class loses one X[i] per violation\n"
            "    dW = X.T @ coeff / num_train  # (D, C)\n",
        ),),
        loses=("a1_linear_classifier_svm_vectorised",),
    ),
    SimulatedStudent(
        "linear_cross_entropy_shortcut",
        "vectorised softmax loss value from F.cross_entropy (gradient by hand)",
        notebooks=NB,
        edits=(Edit(
            MODULE,
            "    loss = -log_probs[rows, y].sum() / num_train + reg * (W * W).sum()\n",
            "    loss = torch.nn.functional.cross_entropy(scores, y) + reg * (W * W).sum()\n",
        ),),
        loses=("a1_linear_classifier_no_shortcuts",),
    ),
    SimulatedStudent(
        "linear_unstable_softmax",
        "loop softmax without subtracting the largest score: inf/NaN for large scores",
        notebooks=NB,
        edits=(Edit(MODULE, "        shifted = scores - scores.max()  # largest entry 0: exp cannot overflow\n",
                    "        shifted = scores\n"),),
        loses=("a1_linear_classifier_softmax_naive",),
    ),
    SimulatedStudent(
        "linear_alt_correct",
        "a correct solution written differently (one-hot masks, randperm batches, torch.max)",
        notebooks=NB,
        edits=(
            Edit(MODULE, SVM_VECTORISED_BODY, ALT_SVM),
            Edit(MODULE, SOFTMAX_VECTORISED_BODY, ALT_SOFTMAX),
            Edit(MODULE, "    index = torch.randint(0, X.shape[0], (batch_size,), generator=generator).to(X.device)  # (B,)\n",
                 "    index = torch.randperm(X.shape[0], generator=generator)[:batch_size].to(X.device)  # (B,)\n"),
            Edit(MODULE, "        return (X @ self.W).argmax(dim=1)\n", "        return torch.max(X.mm(self.W), dim=1).indices\n"),
            Edit(MODULE, "            self.W -= learning_rate * dW\n", "            self.W = self.W - learning_rate * dW\n"),
        ),
    ),
]
