"""One entry point for data files: the suffix chooses the CSV or NumPy loader."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import DataError
from .csv_loader import load_csv
from .dataset import Dataset, Standardization
from .npy_loader import load_npy, load_npz


def load_data(path: str | os.PathLike, labels: str | os.PathLike | None = None, *,
              target: int | str | None = -1,
              class_labels: Mapping[str, int] | None = None,
              standardize: bool | Standardization = False,
              drop_invalid: bool = False,
              progress: Callable[[float], None] | None = None) -> Dataset:
    """Load features (and targets) from a .npy (with labels, a second .npy), .npz or CSV file.

    The command line's --data/--labels/--target and the studio's data panel both come here.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".npy", ".npz"):
        if labels is not None:
            raise DataError(f"{labels}: a separate labels file goes with .npy features; for a "
                            f"CSV file such as {path}, name its target column instead")
        return load_csv(path, target, class_labels=class_labels, standardize=standardize,
                        drop_invalid=drop_invalid, progress=progress)
    if suffix == ".npz":
        if labels is not None:
            raise DataError(f"{labels}: a .npz file such as {path} holds its own 'y' array")
        dataset = load_npz(path, class_labels=class_labels, drop_invalid=drop_invalid)
    else:
        dataset = load_npy(path, labels, class_labels=class_labels, drop_invalid=drop_invalid)
    if isinstance(standardize, Standardization):
        dataset.standardize(standardize)
    elif standardize:
        dataset.standardize()
    if progress is not None:
        progress(1.0)
    return dataset
