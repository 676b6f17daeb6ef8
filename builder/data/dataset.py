"""A loaded dataset and the standardization fitted on it.

Both carry what a project must keep to read the next file the same way: the class-label
mapping (so predictions read as labels) and the mean and std (so a validation or test file is
scaled with the training file's statistics).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import DataError

_BLOCK_ROWS = 65536


@dataclass(frozen=True, eq=False)
class Standardization:
    """Per-feature mean and std (float32, one value per feature) to scale as (x - mean) / std."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardization:
        """Statistics of x's columns, accumulated in float64 by row blocks (no full copy).

        A constant feature gets std 1 so that scaling leaves it finite (at 0).
        """
        rows = x.reshape(len(x), -1)
        if len(rows) == 0:
            raise DataError("cannot standardize a dataset with no rows")
        total = np.zeros(rows.shape[1], dtype=np.float64)
        for start in range(0, len(rows), _BLOCK_ROWS):
            total += rows[start:start + _BLOCK_ROWS].sum(axis=0, dtype=np.float64)
        mean = total / len(rows)
        squares = np.zeros_like(mean)
        for start in range(0, len(rows), _BLOCK_ROWS):
            squares += np.square(rows[start:start + _BLOCK_ROWS] - mean).sum(axis=0)
        std = np.sqrt(squares / len(rows))
        std[std == 0] = 1.0
        shape = x.shape[1:]
        return cls(mean.astype(np.float32).reshape(shape), std.astype(np.float32).reshape(shape))

    def apply(self, x: np.ndarray) -> None:
        """Scale float32 x in place, so that a big dataset is not copied."""
        if x.shape[1:] != self.mean.shape:
            raise DataError(f"standardization fitted on features of shape {self.mean.shape} "
                            f"cannot scale features of shape {x.shape[1:]}")
        for start in range(0, len(x), _BLOCK_ROWS):
            block = x[start:start + _BLOCK_ROWS]
            block -= self.mean
            block /= self.std

    def to_dict(self) -> dict:
        """Plain lists, so the statistics travel in a project's JSON file."""
        return {"shape": list(self.mean.shape), "mean": self.mean.ravel().tolist(),
                "std": self.std.ravel().tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Standardization:
        """The inverse of to_dict; a malformed entry is a DataError naming what is wrong."""
        try:
            shape = tuple(int(n) for n in data["shape"])
            mean = np.asarray(data["mean"], dtype=np.float32).reshape(shape)
            std = np.asarray(data["std"], dtype=np.float32).reshape(shape)
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"invalid standardization settings: {error}") from None
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise DataError("invalid standardization settings: mean and std must be finite, "
                            "std > 0")
        return cls(mean, std)


@dataclass(eq=False)
class Dataset:
    """Features x (float32, one row per sample) with targets y and what describes them.

    y is None without a target; int64 class indices for string labels (class_labels maps each
    label to its index) and for whole-number targets (kept as the numbers they are); float32 for
    other numbers (regression) and for one-hot or multi-output targets.
    """

    x: np.ndarray
    y: np.ndarray | None
    feature_names: tuple[str, ...] = ()
    target_name: str | None = None
    class_labels: dict[str, int] | None = None
    source: Path | None = None
    standardization: Standardization | None = None
    dropped_rows: int = 0

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        target = "no target" if self.y is None else f"y {self.y.shape} {self.y.dtype}"
        return f"Dataset(x {self.x.shape}, {target}, source={self.source})"

    @property
    def num_classes(self) -> int | None:
        """Classes the output layer must represent: the labels' count, or the largest index + 1."""
        if self.class_labels is not None:
            return len(self.class_labels)
        if self.y is not None and self.y.dtype.kind in "iu" and self.y.size:
            return int(self.y.max()) + 1
        return None

    @property
    def label_names(self) -> list[str] | None:
        """The string label of each class index, so index i reads as label_names[i]."""
        if self.class_labels is None:
            return None
        return sorted(self.class_labels, key=self.class_labels.__getitem__)

    def labels_of(self, indices) -> np.ndarray:
        """Predicted class indices as the file's labels (the indices themselves without labels)."""
        indices = np.asarray(indices)
        if self.class_labels is None:
            return indices
        names = np.array(self.label_names, dtype=object)
        if indices.size and (indices.min() < 0 or indices.max() >= len(names)):
            raise DataError(f"class index {int(indices.max())} is outside the "
                            f"{len(names)} labels of {self.source}")
        return names[indices]

    def standardize(self, stats: Standardization | None = None) -> Standardization:
        """Scale x in place with stats (fitted on this data when None) and remember them.

        Pass the training set's standardization to scale a validation or test set alike.
        """
        if self.standardization is not None:
            raise DataError(f"{self.source}: data are already standardized")
        stats = Standardization.fit(self.x) if stats is None else stats
        stats.apply(self.x)
        self.standardization = stats
        return stats

    def copy(self) -> Dataset:
        """A copy whose arrays can be changed (standardized) without touching these."""
        return replace(self, x=self.x.copy(), y=None if self.y is None else self.y.copy())

    def subset(self, rows: np.ndarray) -> Dataset:
        """The rows selected by an index array, with the same description."""
        y = None if self.y is None else self.y[rows]
        return replace(self, x=self.x[rows], y=y, dropped_rows=0)
