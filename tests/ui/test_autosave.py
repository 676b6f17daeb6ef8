"""Autosave and recovery: edits reach a recovery file after the interval (and nothing is
written without edits); a clean save or a close after Save/Discard removes it; a copy left by a
dead session is offered at startup and restores as an unsaved document with its original path;
a live session's copy is never offered; an unwritable folder is a status line, not a crash."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from builder.project import new_project
from studio_helpers import canvas_texts, drop_types
from ui import app, autosave, guard
from ui.main_window import MainWindow

INTERVAL_MS = 40


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    recovery = tmp_path / "recovery"
    monkeypatch.setenv(autosave.RECOVERY_DIR_ENV, str(recovery))
    monkeypatch.setenv("SEQSTUDIO_LOG_DIR", str(tmp_path / "logs"))
    return recovery


@pytest.fixture
def asked(dialogs, monkeypatch):
    """The restore questions asked; the answer is asked.answer."""
    from ui import dialogs as module

    class Asked(list):
        answer = "restore"

    asked = Asked()
    monkeypatch.setattr(module, "ask_restore", lambda parent, name, saved_at: asked.append((name, saved_at))
                        or asked.answer)
    return asked


def _fast(window):
    window.autosave.timer.setInterval(INTERVAL_MS)
    return window


def _crashed_copy(folder: Path, project, name="crashed.json") -> Path:
    """What a session that died leaves: a recovery file with no live lock."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(autosave.recovery_text(project))
    return path


def test_edits_are_copied_after_the_interval_and_only_then(window, qtbot, folder):
    _fast(window)
    qtbot.wait(3 * INTERVAL_MS)
    assert not folder.exists()  # nothing changed: nothing written
    drop_types(window, ["Flatten"], 0)
    copy = window.autosave.path
    qtbot.waitUntil(copy.exists, timeout=2000)
    project, _ = autosave.read_recovery(copy)
    assert [layer.class_name for layer in project.model.layers] == canvas_texts(window)
    assert window.document.modified  # a copy is not a save
    copy.unlink()
    qtbot.wait(3 * INTERVAL_MS)
    assert not copy.exists()  # no new edit: not written again
    drop_types(window, ["Dense"], 0)
    qtbot.waitUntil(copy.exists, timeout=2000)


def test_a_clean_save_removes_the_copy_and_its_lock(window, dialogs, qtbot, folder, tmp_path):
    drop_types(_fast(window), ["Flatten"], 0)
    qtbot.waitUntil(window.autosave.path.exists, timeout=2000)
    assert len(list(folder.glob("*.lock"))) == 1
    dialogs.save_path = str(tmp_path / "model.json")
    assert window.files.save_current()
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("answer, kept", [("cancel", True), ("discard", False), ("save", False)])
def test_closing_removes_the_copy_unless_cancelled(window, dialogs, qtbot, tmp_path, answer, kept):
    drop_types(window, ["Flatten"], 0)
    assert window.autosave.save_now() and window.autosave.path.exists()
    dialogs.unsaved_answer = answer
    dialogs.save_path = str(tmp_path / "model.json")
    window.close()
    assert window.autosave.path.exists() == kept == window.isVisible()
    dialogs.unsaved_answer = "discard"


def test_a_crashed_copy_is_offered_and_restored_as_unsaved(window, asked, folder, tmp_path):
    project = new_project("mlp")
    project.path = tmp_path / "mine.json"
    project.model.pop()
    crashed = _crashed_copy(folder, project)
    assert window.autosave.offer_recovery()
    assert asked[0][0] == "mine.json"
    assert canvas_texts(window) == ["Dense", "Activation", "Dense"]
    assert window.document.path == tmp_path / "mine.json"
    assert window.document.modified and window.isWindowModified()
    assert window.windowTitle().startswith("mine.json")
    assert not crashed.exists() and window.autosave.path.exists()  # this session holds the copy now
    assert not window.autosave.offer_recovery() and len(asked) == 1


def test_a_discarded_copy_is_gone_and_the_document_untouched(window, asked, folder):
    crashed = _crashed_copy(folder, new_project("mlp"))
    asked.answer = "discard"
    assert not window.autosave.offer_recovery()
    assert len(asked) == 1 and not crashed.exists()
    assert canvas_texts(window) == ["Dense", "Dropout", "Dense"] and not window.document.modified


def test_an_unsaved_project_comes_back_with_absolute_data_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = new_project("mlp")
    project.data.path = "data/train.csv"
    copy = tmp_path / "copy.json"
    copy.write_text(autosave.recovery_text(project))
    monkeypatch.chdir("/")
    restored, _ = autosave.read_recovery(copy)
    assert restored.path is None and restored.data.path == str(tmp_path / "data" / "train.csv")


def test_a_live_sessions_copy_is_not_offered(window, asked, qtbot):
    other = MainWindow()
    qtbot.addWidget(other)
    drop_types(other, ["Flatten"], 0)
    assert other.autosave.save_now()
    assert not window.autosave.offer_recovery() and asked == []


def test_a_copy_whose_process_died_is_offered(window, asked, folder):
    """A real dead owner: a process takes the lock, writes its copy and exits without
    unlocking, as a crash would."""
    folder.mkdir()
    copy = folder / "dead.json"
    copy.write_text(autosave.recovery_text(new_project("mlp")))
    code = ("import os, sys; from PySide6.QtCore import QLockFile\n"
            "lock = QLockFile(sys.argv[1]); assert lock.tryLock(0)\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(folder / "dead.lock")], check=True, timeout=60)
    assert (folder / "dead.lock").exists()
    assert window.autosave.offer_recovery()
    assert canvas_texts(window) == ["Dense", "Activation", "Dense", "Activation"]


def test_a_damaged_copy_is_reported_once_and_kept_aside(window, asked, dialogs, folder):
    folder.mkdir()
    (folder / "broken.json").write_text("{not json")
    assert not window.autosave.offer_recovery()
    assert "broken.json" in dialogs.errors[0][1] and (folder / "broken.unreadable").exists()
    assert not window.autosave.offer_recovery() and len(dialogs.errors) == 1 and asked == []


def test_an_unwritable_folder_is_a_status_line_not_a_crash(qtbot, dialogs, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(autosave.RECOVERY_DIR_ENV, str(blocker / "recovery"))
    window = MainWindow()
    qtbot.addWidget(window)
    drop_types(_fast(window), ["Flatten"], 0)
    qtbot.waitUntil(lambda: "Autosave failed" in window.statusBar().currentMessage(), timeout=2000)
    assert dialogs.errors == []
    drop_types(window, ["Dense"], 0)
    assert not window.autosave.save_now()
    log = (tmp_path / "logs" / "crash.log").read_text()
    assert log.count("Autosave failed") == 1  # the same problem logged once


def test_the_studio_offers_the_copy_at_startup(qapp, asked, folder, monkeypatch, qtbot, tmp_path):
    project = new_project("mlp")
    project.path = tmp_path / "mine.json"
    _crashed_copy(folder, project)
    monkeypatch.setattr(guard, "install", lambda: None)
    monkeypatch.setattr(QApplication, "exec", lambda *args: 0)
    windows = []
    monkeypatch.setattr(MainWindow, "show", lambda self: windows.append(self) or qtbot.addWidget(self))
    names = qapp.organizationName(), qapp.applicationName(), qapp.applicationDisplayName()
    try:
        assert app.run_studio() == 0
    finally:  # run_studio names the application: later tests keep pytest-qt's names
        qapp.setOrganizationName(names[0])
        qapp.setApplicationName(names[1])
        qapp.setApplicationDisplayName(names[2])
    assert asked and asked[0][0] == "mine.json"
    assert windows[0].document.path == project.path and windows[0].document.modified
    assert os.listdir(folder) != []  # the restored document's own copy
