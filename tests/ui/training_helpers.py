"""Running the Train area in tests: short runs on the bundled digits, threads always joined."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

RUN_TIMEOUT_MS = 120_000  # the first run in a fresh cache compiles kernels


@pytest.fixture
def trainer(window, qtbot):
    """The window's Train panel, with the data preview loaded; every thread joined after."""
    panel = window.train_panel
    window.side_tabs.setCurrentWidget(window.train_host)
    qtbot.waitUntil(lambda: panel.data_panel.dataset is not None, timeout=20_000)
    yield panel
    panel.shutdown()
    for thread in panel.findChildren(QThread):
        assert not thread.isRunning()


def set_compile(window, **values) -> None:
    for name, value in values.items():
        setattr(window.document.project.compile, name, value)
    window.train_panel.compile_panel.refresh()


def run_and_wait(panel, qtbot):
    with qtbot.waitSignal(panel.runFinished, timeout=RUN_TIMEOUT_MS) as blocker:
        panel.train_button.click()
    return blocker.args[0]


def screenshot(widget, name: str) -> None:
    """Save a grab of `widget` where SEQSTUDIO_SCREENSHOTS points (to look at by eye)."""
    folder = os.environ.get("SEQSTUDIO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()  # pending layouts, as the event loop would run them
        assert widget.grab().save(str(Path(folder) / f"{name}.png"))
