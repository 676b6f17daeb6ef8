"""A guard against a reference-counting bug of PySide6 6.12 on Python 3.11.

There, every call of a Qt method returning void drops one reference to None without taking
it (measure: `sys.getrefcount(None)` falls by one per `QObject.setObjectName` call). None
starts with a few thousand references, so a window that paints a few dozen cards dies
within seconds with "Fatal Python error: none_dealloc". Python 3.12 made None immortal,
which hides the bug; on 3.11 we do the same by hand: when the leak is measured, None's
reference count is raised far beyond anything the leak can use up.
"""

from __future__ import annotations

import ctypes
import sys

_PINNED = 1 << 60
_done = False


def none_refcount_leaks() -> bool:
    """Whether void Qt calls leak references to None in this process (3.11 and older only:
    on 3.12+ None is immortal and its count does not move)."""
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return sys.getrefcount(None) <= before - 32


def protect_none() -> None:
    """Make None effectively immortal when (and only when) the leak is present. Idempotent."""
    global _done
    if _done:
        return
    _done = True
    if none_refcount_leaks():
        ctypes.c_ssize_t.from_address(id(None)).value += _PINNED
