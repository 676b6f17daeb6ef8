"""Load NumPy files (x.npy with y.npy, or one .npz holding x and y) into a Dataset.

Arrays are read by builder.array_files: a pickled object array could run code, so it is refused
with a DataError naming the file, like a truncated or foreign file or a header that promises
more data than the file holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..array_files import npz_names, read_npy, read_npz
from ..errors import DataError
from .dataset import Dataset
from .files import existing_file

_DROP_HINT = "; pass drop_invalid=True to drop such rows"


def load_npy(x_path: str | os.PathLike, y_path: str | os.PathLike | None = None, *,
             class_labels: Mapping[str, int] | None = None,
             drop_invalid: bool = False) -> Dataset:
    """Features from one .npy file and, optionally, targets from another with as many rows."""
    x_path = existing_file(x_path)
    x = read_npy(x_path)
    if y_path is None:
        return _dataset(x, None, x_path, None, class_labels, drop_invalid)
    y_path = existing_file(y_path)
    return _dataset(x, read_npy(y_path), x_path, y_path, class_labels, drop_invalid)


def load_npz(path: str | os.PathLike, *, class_labels: Mapping[str, int] | None = None,
             drop_invalid: bool = False) -> Dataset:
    """Features 'x' and optional targets 'y' from one .npz archive (np.savez(path, x=, y=))."""
    path = existing_file(path)
    held = npz_names(path)
    if "x" not in held:
        raise DataError(f"{path}: holds no array named 'x' (it holds {', '.join(held) or 'nothing'}); "
                        "save it with np.savez(path, x=features, y=targets)")
    arrays = read_npz(path, ("x", "y"))
    y = arrays.get("y")
    return _dataset(arrays["x"], y, path, path if y is not None else None, class_labels, drop_invalid)


def _dataset(x: np.ndarray, y: np.ndarray | None, x_path: Path, y_path: Path | None,
             class_labels: Mapping[str, int] | None, drop_invalid: bool) -> Dataset:
    """Check and convert loaded arrays: numeric rows, matching lengths, finite values."""
    x = _features(x, x_path)
    labels = None
    if y is not None:
        if y.ndim == 0:
            raise DataError(f"{y_path}: holds a single value, not one target per row")
        if len(y) != len(x):
            source = f"{x_path} and {y_path}" if y_path != x_path else f"{x_path}"
            raise DataError(f"{source}: x has {len(x)} rows but y has {len(y)}")
        y, labels = _targets(y, y_path, class_labels)
    keep = np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if y is not None and y.dtype.kind == "f":
        target_keep = np.isfinite(y.reshape(len(y), -1)).all(axis=1)
        if not drop_invalid and not target_keep.all():
            row = int(np.argmin(target_keep))
            raise DataError(f"{y_path}, row {row}: target {y[row]} is NaN or infinite (or too large "
                            "for float32)" + _DROP_HINT)
        keep &= target_keep
    if not drop_invalid and not keep.all():
        row = int(np.argmin(keep))
        flat = x[row].ravel()
        position = int(np.argmin(np.isfinite(flat)))
        raise DataError(f"{x_path}, row {row}, feature {position}: value {flat[position]} is "
                        "NaN or infinite (or too large for float32)" + _DROP_HINT)
    dropped = int(len(keep) - keep.sum())
    if dropped:
        if dropped == len(keep):
            raise DataError(f"{x_path}: no usable rows: all {dropped} rows have NaN or "
                            "infinite values")
        x = x[keep]
        y = None if y is None else y[keep]
    names = tuple(f"column_{j + 1}" for j in range(x.shape[1])) if x.ndim == 2 else ()
    return Dataset(x, y, names, "y" if y is not None else None, labels, x_path,
                   dropped_rows=dropped)


def _features(x: np.ndarray, path: Path) -> np.ndarray:
    """x as C-contiguous float32 rows, refusing what is not numeric or has no rows."""
    if x.ndim == 0:
        raise DataError(f"{path}: holds a single value, not rows of features")
    if x.dtype.kind not in "biuf":
        raise DataError(f"{path}: holds {x.dtype} values, not numbers")
    if len(x) == 0:
        raise DataError(f"{path}: holds no rows (shape {x.shape})")
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(x, dtype=np.float32)


def _targets(y: np.ndarray, path: Path, class_labels: Mapping[str, int] | None):
    """Integers as int64, numbers as float32, strings as label indices with their mapping."""
    if y.dtype.kind in "biu":
        if y.dtype.kind == "u" and y.size and y.max() > np.iinfo(np.int64).max:
            raise DataError(f"{path}: target {y.max()} is too large for a class index or a 64-bit integer")
        return y.astype(np.int64), None
    if y.dtype.kind == "f":
        with np.errstate(over="ignore"):  # too large for float32: inf, refused with its row
            return y.astype(np.float32), None
    if y.dtype.kind not in "US":
        raise DataError(f"{path}: holds {y.dtype} targets, not numbers or labels")
    if y.ndim != 1:
        raise DataError(f"{path}: string labels must be one per row, got shape {y.shape}")
    present, inverse = np.unique(np.char.strip(y.astype(str)), return_inverse=True)
    if class_labels is None:
        class_labels = {label: index for index, label in enumerate(present.tolist())}
    unknown = [label for label in present.tolist() if label not in class_labels]
    if unknown:
        row = int(np.flatnonzero(present[inverse] == unknown[0])[0])
        raise DataError(f"{path}, row {row}: label {unknown[0]!r} is not one of the training "
                        f"labels ({', '.join(sorted(class_labels)[:12])})")
    codes = np.array([class_labels[label] for label in present.tolist()], dtype=np.int64)
    return codes[inverse.reshape(-1)], dict(class_labels)
