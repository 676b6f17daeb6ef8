"""The crash log: every unexpected exception is appended, with its time and traceback, to
`crash.log` in the user's log folder, and faulthandler writes the Python stacks of a hard crash
(a segfault in native code, where no Python hook runs) to `faults.log` beside it.

The folder is SEQSTUDIO_LOG_DIR when set (tests point it at a temporary folder), else the
platform's application data folder plus "/logs".
"""

from __future__ import annotations

import faulthandler
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QStandardPaths

LOG_DIR_ENV = "SEQSTUDIO_LOG_DIR"
CRASH_LOG = "crash.log"
FAULT_LOG = "faults.log"
MAX_LOG_BYTES = 1_000_000
"""Beyond this the log moves to crash.log.1 (one older generation kept), so it never grows
without bound when something fails over and over."""

_write_lock = threading.Lock()  # hooks run on any thread
_fault_file = None  # faulthandler writes to its descriptor until the process ends


def user_folder(env_variable: str, name: str) -> Path:
    """The folder `env_variable` names, else `name` in the user's application data folder."""
    override = os.environ.get(env_variable)
    if override:
        return Path(override)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path(tempfile.gettempdir()) / "SeqStudio") / name


def log_dir() -> Path:
    return user_folder(LOG_DIR_ENV, "logs")


def append(details: str, thread_name: str | None = None) -> Path:
    """Append one entry (`details`: a formatted traceback) to the crash log; returns the log's
    path. Raises OSError when it cannot be written: the caller decides how to say so."""
    path = log_dir() / CRASH_LOG
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    where = f", thread {thread_name!r}" if thread_name else ""
    entry = f"=== {stamp}, pid {os.getpid()}{where} ===\n{details.rstrip()}\n\n"
    with _write_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size > MAX_LOG_BYTES:
            os.replace(path, path.with_name(CRASH_LOG + ".1"))
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(entry)
    return path


def enable_fault_log() -> Path | None:
    """Send faulthandler's report of a fatal signal to faults.log; returns its path, or None
    when the folder is unwritable (the report then goes to stderr, if there is one)."""
    global _fault_file
    path = log_dir() / FAULT_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a", encoding="utf-8")
    except OSError:
        try:
            faulthandler.enable(all_threads=True)
        except RuntimeError:  # no stderr at all (a windowed build): nowhere to write
            pass
        return None
    faulthandler.enable(file=handle, all_threads=True)
    if _fault_file is not None:
        _fault_file.close()
    _fault_file = handle
    return path
