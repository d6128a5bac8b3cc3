"""k-nearest-neighbour classification with plain tensor operations (assignment a1, notebook knn).

Images arrive flattened: a training set `x_train` of shape (num_train, D) with labels `y_train`
of shape (num_train,) (int64), and queries `x_test` of shape (num_test, D). Every function works
on whatever device and floating dtype its inputs have; none moves data between devices.
"""

from __future__ import annotations

import torch


def compute_distances_two_loops(x_train: torch.Tensor, x_test: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances, one pair of images at a time (two nested loops).

    Args:
        x_train: (num_train, D) floating tensor.
        x_test: (num_test, D) floating tensor, same dtype and device.
    Returns:
        dists: (num_test, num_train), `dists[i, j] = sum((x_test[i] - x_train[j]) ** 2)`,
        same dtype and device as the inputs.
    """
    num_train, num_test = x_train.shape[0], x_test.shape[0]
    dists = x_train.new_zeros(num_test, num_train)
    # YOUR CODE HERE
    raise NotImplementedError('compute_distances_two_loops: write your code here')
    return dists


def compute_distances_one_loop(x_train: torch.Tensor, x_test: torch.Tensor) -> torch.Tensor:
    """The same squared distances with a single loop over the test images.

    Shapes as in `compute_distances_two_loops`. Compare one test image with the whole training
    set at once by broadcasting.
    """
    num_train, num_test = x_train.shape[0], x_test.shape[0]
    dists = x_train.new_zeros(num_test, num_train)
    # YOUR CODE HERE
    raise NotImplementedError('compute_distances_one_loop: write your code here')
    return dists


def compute_distances_no_loops(x_train: torch.Tensor, x_test: torch.Tensor) -> torch.Tensor:
    """The same squared distances with no Python loop at all.

    Expand `|a - b|^2 = |a|^2 + |b|^2 - 2 a.b`: two sums of squares and one matrix product.
    Not allowed: `torch.cdist`, `torch.norm`, `torch.linalg`, `torch.nn`, and building the
    (num_test, num_train, D) difference tensor (it does not fit in memory at full size).
    Shapes as in `compute_distances_two_loops`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('compute_distances_no_loops: write your code here')
    return dists


def predict_labels(dists: torch.Tensor, y_train: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Label each test image by a majority vote of its `k` nearest training images.

    Args:
        dists: (num_test, num_train) distances from `compute_distances_*`.
        y_train: (num_train,) int64 labels in 0..C-1.
        k: number of neighbours that vote, 1 <= k <= num_train.
    Returns:
        y_pred: (num_test,) int64 on the same device. When several labels get the same number of
        votes, the smallest of those labels wins.
    """
    # YOUR CODE HERE
    raise NotImplementedError('predict_labels: write your code here')
    return y_pred


def cross_validate(
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    k_choices: list[int],
    num_folds: int = 5,
) -> dict[int, list[float]]:
    """k-fold cross-validation of kNN for every `k` in `k_choices`.

    Split the training set, in order, into contiguous folds with `torch.chunk(x_train,
    num_folds)`. Each fold holds ceil(num_train / num_folds) images (the last one fewer), so
    with few images there can be fewer than `num_folds` folds: 6 images in 4 folds make 3 folds
    of 2. For each fold, classify it with the other folds as training data, using
    `compute_distances_no_loops` and `predict_labels`.

    Returns:
        A dict mapping each k to a list with one accuracy per fold (Python floats in [0, 1]),
        the i-th measured on fold i. Accuracies are compared with a tolerance of 1e-6, so a
        float32 mean is as good as a float64 one.
    """
    # YOUR CODE HERE
    raise NotImplementedError('cross_validate: write your code here')
    return accuracies


def best_k(k_to_accuracies: dict[int, list[float]]) -> int:
    """The k with the highest mean cross-validation accuracy; the smallest such k on a tie."""
    # YOUR CODE HERE
    raise NotImplementedError('best_k: write your code here')


class KnnClassifier:
    """A kNN classifier that memorises its training set.

    Args:
        x_train: (num_train, D) floating tensor.
        y_train: (num_train,) int64 labels.
    """

    def __init__(self, x_train: torch.Tensor, y_train: torch.Tensor):
        self.x_train = x_train
        self.y_train = y_train

    def predict(self, x_test: torch.Tensor, k: int = 1) -> torch.Tensor:
        """Predicted labels, (num_test,) int64, from `compute_distances_no_loops` and `predict_labels`."""
        # YOUR CODE HERE
        raise NotImplementedError('predict: write your code here')

    def check_accuracy(self, x_test: torch.Tensor, y_test: torch.Tensor, k: int = 1) -> float:
        """Fraction of `x_test` (num_test, D) whose predicted label equals `y_test` (num_test,).

        A Python float; compared with a tolerance of 1e-6 (float32 or float64 means both pass).
        """
        # YOUR CODE HERE
        raise NotImplementedError('check_accuracy: write your code here')
