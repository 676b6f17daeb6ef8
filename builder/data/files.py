"""Path checks shared by the loaders, so every loader refuses a bad path with the same words."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataError


def existing_file(path: str | os.PathLike) -> Path:
    """The path as a Path, or a DataError when it is missing, a folder or unreadable."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a data file")
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise DataError(f"{path}: cannot be read (permission denied)")
    return path
