"""Simulated students of a1 `knn`: one planted mistake per rule, teaching versions that skip
their loops by calling the no-loop version, a correct solution written differently, one that
measures accuracy in float32 (full marks), and one that kills its kernel. Each hands in only knn.ipynb; `make demo` grades them
and tests/test_pipeline.py asserts each scores exactly as listed."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NO_LOOP_BODY = """    test_sq = (x_test**2).sum(dim=1, keepdim=True)  # (num_test, 1)
    train_sq = (x_train**2).sum(dim=1)  # (num_train,)
    cross = x_test @ x_train.T  # (num_test, num_train)
    # Rounding can push a true zero slightly below zero; a squared distance never is.
    dists = (test_sq + train_sq - 2 * cross).clamp_min(0)
"""

NOTEBOOK = ("knn",)

STUDENTS = [
    SimulatedStudent(
        "knn_alt_correct",
        "a correct solution written differently (addmm, one-hot votes)",
        notebooks=NOTEBOOK,
        edits=(
            Edit("knn.py", NO_LOOP_BODY,
                 "    base = (x_test * x_test).sum(1)[:, None] + (x_train * x_train).sum(1)[None, :]\n"
                 "    dists = torch.addmm(base, x_test, x_train.t(), alpha=-2).clamp(min=0)\n"),
            Edit("knn.py", "    y_pred = counts.argmax(dim=1)\n",
                 "    one_hot = (votes[..., None] == torch.arange(num_classes, device=votes.device)).sum(1)\n"
                 "    y_pred = one_hot.argmax(dim=1)\n"),
        ),
    ),
    SimulatedStudent(
        "knn_loop_in_no_loops",
        "no-loop distances written with a comprehension over test images",
        notebooks=NOTEBOOK,
        edits=(Edit("knn.py", NO_LOOP_BODY,
                    "    dists = torch.stack([((x_train - row) ** 2).sum(dim=1) for row in x_test])\n"),),
        loses=("a1_knn_no_loops_vectorised",),
    ),
    SimulatedStudent(
        "knn_uses_cdist",
        "no-loop distances from torch.cdist",
        notebooks=NOTEBOOK,
        edits=(Edit("knn.py", NO_LOOP_BODY, "    dists = torch.cdist(x_test, x_train) ** 2\n"),),
        loses=("a1_knn_no_loops_no_shortcuts",),
    ),
    SimulatedStudent(
        "knn_wrong_tie_break",
        "ties go to the largest label instead of the smallest",
        notebooks=NOTEBOOK,
        edits=(Edit("knn.py", "    y_pred = counts.argmax(dim=1)\n",
                    "    y_pred = (num_classes - 1) - counts.flip(1).argmax(dim=1)\n"),),
        loses=("a1_knn_predict",),
    ),
    SimulatedStudent(
        "knn_crashes_kernel",
        "predict_labels kills the Python process: what ran before keeps its points, the rest scores zero",
        notebooks=NOTEBOOK,
        edits=(Edit("knn.py", "    nearest = dists.topk(k, dim=1, largest=False).indices",
                    "    import os\n    os._exit(1)\n    nearest = dists.topk(k, dim=1, largest=False).indices"),),
        loses=("a1_knn_predict", "a1_knn_cross_validation", "a1_knn_classifier"),
        status="DeadKernelError",
    ),
    SimulatedStudent(
        "knn_two_loops_call_no_loops",
        "the two-loop and one-loop versions just return compute_distances_no_loops (right values)",
        notebooks=NOTEBOOK,
        edits=(
            Edit("knn.py", "    for i in range(num_test):\n        for j in range(num_train):\n"
                           "            dists[i, j] = ((x_test[i] - x_train[j]) ** 2).sum()\n",
                 "    dists = compute_distances_no_loops(x_train, x_test)\n"),
            Edit("knn.py", "    for i in range(num_test):\n        dists[i] = ((x_train - x_test[i]) ** 2).sum(dim=1)\n",
                 "    dists = compute_distances_no_loops(x_train, x_test)\n"),
        ),
        loses=("a1_knn_two_loops", "a1_knn_one_loop"),
    ),
    SimulatedStudent(
        "knn_float32_accuracy",
        "accuracies as (pred == y).float().mean().item(), the notebooks' own idiom: about 2e-8 off, full marks",
        notebooks=NOTEBOOK,
        edits=(
            Edit("knn.py", "            accuracies[k].append((y_pred == y_folds[i]).double().mean().item())\n",
                 "            accuracies[k].append((y_pred == y_folds[i]).float().mean().item())\n"),
            Edit("knn.py", "        return (self.predict(x_test, k) == y_test).double().mean().item()\n",
                 "        return (self.predict(x_test, k) == y_test).float().mean().item()\n"),
        ),
    ),
]
