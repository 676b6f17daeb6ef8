"""The installed Qt binding keeps Python's reference counts straight (PySide6 6.12.0 on
Python 3.11 did not: every void call dropped a reference to None until the process died)."""

import sys

from PySide6.QtCore import QObject


def test_void_calls_do_not_leak_references_to_none():
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        probe.setObjectName("probe")
    assert sys.getrefcount(None) >= before - 10
