"""A save that fails (no space, no permission, no folder) says so naming the file and the
reason; the document stays unsaved, the previous file on disk stays as it was, no temporary
file is left, and relative data paths are not rebased for a folder the project never reached.
We run as root, so failures are made by monkeypatching the write, not by chmod."""

import errno
import os

import pytest

from studio_helpers import drop_types
from ui.files import save_failure


@pytest.fixture(autouse=True)
def _private_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))
    monkeypatch.setenv("SEQSTUDIO_LOG_DIR", str(tmp_path / "logs"))


def _failing(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return fail


@pytest.fixture
def saved(window, dialogs, tmp_path):
    """A window whose project was saved to folder/model.json, then edited."""
    folder = tmp_path / "project"
    folder.mkdir()
    dialogs.save_path = str(folder / "model.json")
    assert window.files.save_current()
    drop_types(window, ["Dense"], 0)
    assert window.document.modified
    return folder / "model.json"


@pytest.mark.parametrize("stage, code", [("fsync", errno.ENOSPC), ("replace", errno.EACCES)])
def test_a_failed_save_says_why_and_keeps_the_previous_file(window, dialogs, saved, monkeypatch, stage, code):
    before = saved.read_bytes()
    with monkeypatch.context() as failure:
        failure.setattr(os, stage, _failing(code))  # after the data went to the temporary file
        assert not window.files.save_current()
    title, message = dialogs.errors[-1]
    assert title == "Save project"
    assert str(saved) in message and os.strerror(code) in message
    assert window.document.modified and window.isWindowModified()
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model.json"]  # no temporary file


def test_saving_into_a_missing_folder_names_it(window, dialogs, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    dialogs.save_path = str(blocker / "model.json")
    drop_types(window, ["Dense"], 0)
    assert not window.files.save_current()
    assert str(blocker / "model.json") in dialogs.errors[-1][1]
    assert window.document.modified and window.document.path is None


def test_a_failed_save_as_leaves_relative_data_paths_alone(window, dialogs, saved, monkeypatch):
    window.document.project.data.path = "data/train.csv"
    elsewhere = saved.parent.parent / "elsewhere"
    elsewhere.mkdir()
    dialogs.save_path = str(elsewhere / "model.json")
    with monkeypatch.context() as failure:
        failure.setattr(os, "fsync", _failing(errno.ENOSPC))
        assert not window.files.save_current_as()
    assert window.document.project.data.path == "data/train.csv"  # still beside model.json
    assert window.document.path == saved
    assert window.files.save_current_as()
    assert window.document.project.data.path == os.path.join("..", "project", "data", "train.csv")


def test_closing_when_the_save_fails_keeps_the_window_open(window, dialogs, saved, monkeypatch):
    dialogs.unsaved_answer = "save"
    with monkeypatch.context() as failure:
        failure.setattr(os, "fsync", _failing(errno.ENOSPC))
        window.close()
    assert window.isVisible() and window.document.modified
    assert "No space left on device" in dialogs.errors[-1][1]
    dialogs.unsaved_answer = "discard"


def test_the_message_names_the_file_and_the_reason(tmp_path):
    path = tmp_path / "model.json"
    assert save_failure(path, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))) == \
        f"Could not save {path}: No space left on device"
    assert save_failure(path, OSError(f"cannot save to {path}: Permission denied")) == \
        f"Cannot save to {path}: Permission denied"
