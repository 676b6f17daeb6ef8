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
    tmp = _temporary(path)
    try:
        with open(tmp, mode) as handle:
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


def atomic_write_files(contents: dict) -> None:
    """Write several files ({path: bytes}) as one save: every file is written in full to a
    temporary name first, and only then are they renamed into place, so a failure while
    writing (no space, no permission) leaves every previous file as it was."""
    written: list[tuple[Path, str]] = []
    try:
        for path, data in contents.items():
            path = Path(path)
            tmp = _temporary(path)
            written.append((path, tmp))
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for path, tmp in written:
            os.replace(tmp, path)
    except OSError as err:
        for _, tmp in written:
            _discard(tmp)
        raise SeqStudioError(f"cannot save to {path}: {err.strerror or err}") from None
    except BaseException:
        for _, tmp in written:
            _discard(tmp)
        raise


def _temporary(path: Path) -> str:
    """A new empty file beside `path` (same folder, so the rename never crosses devices)."""
    if path.is_dir():
        raise SeqStudioError(f"cannot save to {path}: it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as err:
        raise SeqStudioError(f"cannot save to {path}: {err.strerror}") from None
    os.close(fd)
    return tmp


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
