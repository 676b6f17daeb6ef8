"""Atomic file writes: a temporary file beside the target, then a rename, so a failed save
never destroys the previous file."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import SeqStudioError


@contextmanager
def atomic_write(path, mode: str = "wb"):
    """Yield a file object; on success it replaces `path`, on any error `path` is untouched."""
    path = Path(path)
    if path.is_dir():
        raise SeqStudioError(f"cannot save to {path}: it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as err:
        raise SeqStudioError(f"cannot save to {path}: {err.strerror}") from None
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        _discard(tmp)
        raise SeqStudioError(f"cannot save to {path}: {err.strerror or err}") from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
