"""Fit loaded data to a model: reshape flat rows, one-hot labels, split off validation rows."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DataError
from ..utils import to_categorical
from .dataset import Dataset


def reshape_features(x: np.ndarray, input_shape, source=None) -> np.ndarray:
    """x with rows shaped as the model's input (batch excluded), when the sizes agree.

    A CSV of 784 pixels per row feeds a Conv2D on (28, 28, 1) this way; the result is a view.
    Dimensions given as None (variable lengths) must match the rank and the known sizes.
    """
    shape = tuple(input_shape)
    row_shape = x.shape[1:]
    where = f"{source}: " if source is not None else ""
    if row_shape == shape:
        return x
    if None in shape:
        if len(row_shape) == len(shape) and all(
                want is None or want == have for want, have in zip(shape, row_shape)):
            return x
        raise DataError(f"{where}features of shape {row_shape} per row do not fit the model's "
                        f"input shape {shape}")
    have, want = math.prod(row_shape), math.prod(shape)
    if have != want:
        raise DataError(f"{where}features of shape {row_shape} per row ({have} values) do not "
                        f"fit the model's input shape {shape} ({want} values)")
    return x.reshape((len(x), *shape))


def check_class_indices(y: np.ndarray, num_classes: int, source=None) -> None:
    """Refuse labels that are not whole numbers in 0..num_classes-1 (the output layer's units)."""
    where = f"{source}, " if source is not None else ""
    labels = np.asarray(y)
    if labels.dtype.kind not in "biuf":
        raise DataError(f"{where.rstrip(', ')}: labels of type {labels.dtype} are not class "
                        "indices")
    flat = labels.reshape(-1)
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(flat) | (flat != np.round(flat))
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(f"{where}row {row}: label {flat[row]} is not a class index "
                            "(a whole number)")
    outside = (flat < 0) | (flat >= num_classes)
    if outside.any():
        row = int(np.argmax(outside))
        raise DataError(f"{where}row {row}: label {flat[row]:g} is outside the {num_classes} "
                        f"classes the output layer can represent (0..{num_classes - 1})")


def one_hot(y: np.ndarray, num_classes: int, source=None) -> np.ndarray:
    """Class indices as float32 one-hot rows, for categorical losses; one-hot input passes."""
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == num_classes and num_classes > 1:
        return labels.astype(np.float32, copy=False)
    check_class_indices(labels, num_classes, source)
    return to_categorical(labels, num_classes)


def split_validation(dataset: Dataset, fraction: float, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Random (seeded) training and validation parts, the latter holding `fraction` of the rows.

    Each part keeps the file's row order; both keep the labels and standardization.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or \
            not 0.0 < fraction < 1.0:
        raise ConfigError(f"invalid validation fraction={fraction!r}: expected a value "
                          "between 0 and 1 (exclusive)")
    rows = len(dataset)
    validation_rows = rows - int(rows * (1.0 - fraction))
    if validation_rows < 1 or validation_rows >= rows:
        raise DataError(f"{dataset.source}: {rows} rows are too few to split off a validation "
                        f"fraction of {fraction}")
    order = np.random.default_rng(seed).permutation(rows)
    validation = np.sort(order[:validation_rows])
    training = np.sort(order[validation_rows:])
    return dataset.subset(training), dataset.subset(validation)
