"""Studio tests run offscreen, with QSettings in a temporary folder and the dialogs replaced
(a modal dialog would block the test; the stubs record what would have been shown)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _temporary_settings(tmp_path_factory):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("qsettings")))


@pytest.fixture(autouse=True)
def _private_log_and_recovery_folders(tmp_path, monkeypatch):
    """Crash logs and recovery copies of tests never land in the user's folders."""
    monkeypatch.setenv("SEQSTUDIO_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("SEQSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))


@pytest.fixture(autouse=True)
def _fresh_settings(_temporary_settings):
    from ui.settings import settings

    settings().clear()
    yield
    settings().clear()


class DialogStub:
    """What the studio asked or showed; answers set by the test."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []
        self.unsaved_answer = "discard"
        self.unsaved_asked = 0
        self.save_path: str | None = None
        self.open_path: str | None = None

    def show_error(self, parent, title, message, details=""):
        self.errors.append((title, message))

    def ask_unsaved(self, parent, name):
        self.unsaved_asked += 1
        return self.unsaved_answer

    def ask_save_path(self, parent, suggested):
        return self.save_path

    def ask_open_path(self, parent, folder=""):
        return self.open_path

    def ask_export_path(self, parent, suggested):
        return self.save_path

    def ask_import_path(self, parent, folder=""):
        return self.open_path


@pytest.fixture
def dialogs(monkeypatch):
    from ui import dialogs as module

    stub = DialogStub()
    for name in ("show_error", "ask_unsaved", "ask_save_path", "ask_open_path", "ask_export_path", "ask_import_path"):
        monkeypatch.setattr(module, name, getattr(stub, name))
    return stub


@pytest.fixture
def window(qtbot, dialogs):
    from ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win
