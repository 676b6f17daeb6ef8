"""Accuracy kernels: each returns how many predictions of one batch are right.

Counts rather than fractions, so the caller can accumulate exactly over batches of different
sizes. Row kernels take 2-D views (rows, classes); class ids arrive as float32 values.
Ties follow Keras: argmax picks the first maximum, and a class is in the top k when fewer
than k scores are strictly greater than its own.
"""

from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _row_argmax(a, i):
    best = 0
    for j in range(1, a.shape[1]):
        if a[i, j] > a[i, best]:
            best = j
    return best


@njit(cache=True, nogil=True, inline="always")
def _in_top_k(scores, i, label, k):
    target = scores[i, label]
    greater = 0
    for j in range(scores.shape[1]):
        if scores[i, j] > target:
            greater += 1
    return greater < k


@njit(cache=True, nogil=True)
def binary_accuracy_count(y_true, y_pred, threshold):
    """Elements where (p > threshold) as 0/1 equals t; flat views."""
    hits = 0
    for i in range(y_pred.shape[0]):
        predicted = 1.0 if y_pred[i] > threshold else 0.0
        if predicted == y_true[i]:
            hits += 1
    return hits


@njit(cache=True, nogil=True)
def categorical_accuracy_count(y_true, y_pred):
    """Rows where argmax(t) == argmax(p)."""
    hits = 0
    for i in range(y_pred.shape[0]):
        if _row_argmax(y_true, i) == _row_argmax(y_pred, i):
            hits += 1
    return hits


@njit(cache=True, nogil=True)
def sparse_categorical_accuracy_count(labels, y_pred):
    """Rows where the class id equals argmax(p)."""
    hits = 0
    for i in range(y_pred.shape[0]):
        if labels[i] == _row_argmax(y_pred, i):
            hits += 1
    return hits


@njit(cache=True, nogil=True)
def top_k_categorical_accuracy_count(y_true, y_pred, k):
    """Rows where argmax(t) is among the k highest scores of p."""
    hits = 0
    for i in range(y_pred.shape[0]):
        if _in_top_k(y_pred, i, _row_argmax(y_true, i), k):
            hits += 1
    return hits


@njit(cache=True, nogil=True)
def sparse_top_k_categorical_accuracy_count(labels, y_pred, k):
    """Rows where the class id is among the k highest scores of p."""
    hits = 0
    for i in range(y_pred.shape[0]):
        if _in_top_k(y_pred, i, int(labels[i]), k):
            hits += 1
    return hits
