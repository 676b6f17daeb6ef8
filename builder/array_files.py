"""Reading .npy and .npz files that may come from anywhere: data files, project weights and
saved models all read their arrays here.

NumPy's own readers trust the header: a header declaring a shape of 10**12 rows makes them
allocate terabytes before reading a byte, an object dtype means a pickle, and a damaged header
can raise SyntaxError or tokenize errors from its parser. Here the header is read first and
checked against the bytes the file actually holds, objects are refused (nothing is unpickled),
and every failure is a DataError naming the file (and the archive member).
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from contextlib import contextmanager
from typing import IO

import numpy as np
from numpy.lib import format as npy_format

from .errors import DataError

MAX_DEFLATE_RATIO = 1100
"""Deflate expands at most ~1032 times: an archive member can hold no more data than this
many times its compressed size, whatever size its entry declares."""

_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)
ARCHIVE_ERRORS = (*_READ_ERRORS, NotImplementedError, RuntimeError)
"""How reading a damaged zip archive fails (NotImplementedError: an unknown compression method;
RuntimeError: an encrypted member)."""


def pickled(where: str) -> DataError:
    return DataError(f"{where}: holds pickled Python objects, which are never loaded (allow_pickle=False); "
                     "save plain numeric arrays")


def damaged(where: str, why) -> DataError:
    return DataError(f"{where}: the file is truncated or corrupt ({why})")


def read_npy(path: str | os.PathLike, where: str | None = None) -> np.ndarray:
    """The array in the .npy file at `path`."""
    where = str(path) if where is None else where
    try:
        with open(path, "rb") as stream:
            return read_array(stream, os.fstat(stream.fileno()).st_size, where)
    except OSError as err:
        raise DataError(f"{where}: cannot be read ({err.strerror or err})") from None


@contextmanager
def _archive(source, where: str):
    """The open zip archive, or DataError: empty, foreign or damaged."""
    try:
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as stream:
                start = stream.read(2)
            if not start:
                raise DataError(f"{where}: the file is empty")
            if start != b"PK":
                raise DataError(f"{where}: is not a NumPy .npz archive")
        with zipfile.ZipFile(source) as archive:
            yield archive
    except DataError:
        raise
    except ARCHIVE_ERRORS as err:
        raise damaged(where, err) from None


def _where(source, where: str | None) -> str:
    return str(getattr(source, "name", source)) if where is None else where


def npz_names(source: str | os.PathLike | IO[bytes], where: str | None = None) -> list[str]:
    """The array names in an .npz archive, as np.load lists them ('x.npy' is 'x')."""
    with _archive(source, _where(source, where)) as archive:
        return [name[:-4] if name.endswith(".npy") else name for name in archive.namelist()]


def read_npz(source: str | os.PathLike | IO[bytes], names=None, where: str | None = None) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive (a path or a seekable binary stream) by name: all of them,
    or those of `names` that it holds."""
    where = _where(source, where)
    with _archive(source, where) as archive:
        members = {(info.filename[:-4] if info.filename.endswith(".npy") else info.filename): info
                   for info in archive.infolist()}
        wanted = list(members) if names is None else [name for name in names if name in members]
        return {name: _read_member(archive, members[name], f"{where} (array {name!r})") for name in wanted}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> np.ndarray:
    stored = info.compress_type == zipfile.ZIP_STORED
    most = info.compress_size if stored else MAX_DEFLATE_RATIO * info.compress_size + 1024
    available = min(info.file_size, most)
    with archive.open(info) as stream:
        return read_array(stream, available, where)


def read_array(stream: IO[bytes], available: int, where: str) -> np.ndarray:
    """The .npy array at the start of a seekable stream holding at most `available` bytes."""
    start = stream.tell()
    shape, fortran_order, dtype = _header(stream, where)
    if dtype.hasobject:
        raise pickled(where)
    if any(dim < 0 for dim in shape):
        raise damaged(where, f"negative dimension in shape {shape}")
    declared = math.prod(shape) * dtype.itemsize
    room = available - (stream.tell() - start)
    if declared > room:
        raise damaged(where, f"its header declares {declared:,} bytes of data for shape {shape}, "
                             f"the file holds at most {max(room, 0):,}")
    stream.seek(start)
    try:
        return npy_format.read_array(stream, allow_pickle=False)
    except MemoryError:
        raise DataError(f"{where}: its {declared:,} bytes of data do not fit in the free memory") from None
    except _READ_ERRORS as err:
        raise damaged(where, err) from None


def _header(stream: IO[bytes], where: str) -> tuple[tuple, bool, np.dtype]:
    """(shape, fortran_order, dtype) from a .npy header, or DataError.

    NumPy parses the header text with ast.literal_eval (after a tokenize pass): a damaged
    header can fail in any of that parser's ways, so every exception of the parse means a
    damaged file.
    """
    start = stream.tell()
    try:
        magic = stream.read(len(npy_format.MAGIC_PREFIX))
    except _READ_ERRORS as err:
        raise damaged(where, err) from None
    if not magic:
        raise DataError(f"{where}: the file is empty")
    if magic != npy_format.MAGIC_PREFIX:
        raise DataError(f"{where}: is not a NumPy .npy file")
    stream.seek(start)
    readers = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
    try:
        version = npy_format.read_magic(stream)
        if version not in readers:
            raise ValueError(f"format version {version[0]}.{version[1]}; SeqStudio reads versions 1.0 and 2.0")
        return readers[version](stream)
    except Exception as err:  # noqa: BLE001 (see the docstring)
        raise damaged(where, f"unreadable header: {err}") from None
