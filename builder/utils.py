"""Small helpers of Keras's API: to_categorical."""

from __future__ import annotations

import numpy as np

from .errors import DataError


def to_categorical(y, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels (any shape; a trailing axis of 1 is dropped)."""
    labels = np.asarray(y)
    if labels.size and labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            raise DataError("to_categorical: labels must be whole numbers")
    elif labels.size and labels.dtype.kind not in "biu":
        raise DataError(f"to_categorical: labels must be integers, got {labels.dtype}")
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and labels.min() < 0:
        raise DataError(f"to_categorical: negative label {int(labels.min())}")
    top = int(labels.max()) + 1 if labels.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise DataError(f"to_categorical: label {top - 1} does not fit num_classes={num_classes}")
    out = np.zeros((*labels.shape, int(num_classes)), dtype=np.float32)
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out
