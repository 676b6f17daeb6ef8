"""The crash log: an unexpected exception (in a slot, in a Python thread) is appended with its
time and traceback to the log folder and shown in a dialog that says where the log is; a
user error is only shown; a log that cannot be written never raises; a segfault leaves
faulthandler's trace in faults.log."""

import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from builder.errors import ConfigError
from ui import crash_log, guard


@pytest.fixture
def log_dir(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    monkeypatch.setenv(crash_log.LOG_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def shown(monkeypatch, qapp):
    """The dialogs the guard showed: (title, message, details, thread it was shown from)."""
    from ui import dialogs

    records = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, message, details="": records.append(
        (title, message, details, threading.current_thread())))
    return records


@pytest.fixture
def installed(monkeypatch):
    """guard.install() for one test: the hooks it replaces come back afterwards."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(guard, "_relay", guard._relay)
    fault_logs = []
    monkeypatch.setattr(crash_log, "enable_fault_log", lambda: fault_logs.append(True))
    guard.install()
    return fault_logs


def _raise(error):
    raise error


def test_an_unexpected_exception_is_logged_with_time_and_traceback(log_dir, shown, capsys):
    for message in ("first boom", "second boom"):
        try:
            _raise(RuntimeError(message))
        except RuntimeError:
            guard._report(*sys.exc_info())
    log = (log_dir / "crash.log").read_text()
    assert log.count("=== ") == 2 and "first boom" in log and "RuntimeError: second boom" in log
    assert "Traceback (most recent call last)" in log and "in _raise" in log
    title, message, details, _ = shown[-1]
    assert title == "SeqStudio: unexpected error"
    assert "RuntimeError: second boom" in message and str(log_dir / "crash.log") in message
    assert "in _raise" in details
    assert "Traceback" in capsys.readouterr().err


def test_a_user_error_is_a_plain_message_and_not_a_crash(log_dir, shown):
    try:
        raise ConfigError("Dense: invalid units=0")
    except ConfigError:
        guard._report(*sys.exc_info())
    assert shown[0][:3] == ("SeqStudio", "Dense: invalid units=0", "")
    assert not (log_dir / "crash.log").exists()


def test_an_unwritable_log_folder_is_said_and_raises_nothing(tmp_path, monkeypatch, shown):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setenv(crash_log.LOG_DIR_ENV, str(blocker / "logs"))
    try:
        raise ValueError("boom")
    except ValueError:
        guard._report(*sys.exc_info())
    assert "ValueError: boom" in shown[0][1] and "The crash log could not be written" in shown[0][1]


def test_an_exception_in_a_thread_is_logged_and_shown_from_the_gui_thread(log_dir, shown, installed, qtbot):
    assert installed == [True]  # faulthandler pointed at the log folder
    worker = threading.Thread(target=_raise, args=(KeyError("lost"),), name="loader")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    title, message, _, thread = shown[0]
    assert thread is threading.main_thread()
    assert "background thread 'loader'" in message and "KeyError: 'lost'" in message
    assert "thread 'loader'" in (log_dir / "crash.log").read_text()


def test_an_exception_in_a_slot_reaches_the_log(log_dir, shown, installed, qtbot):
    QTimer.singleShot(0, lambda: _raise(ZeroDivisionError("in a slot")))
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert "ZeroDivisionError: in a slot" in shown[0][1]
    assert "ZeroDivisionError: in a slot" in (log_dir / "crash.log").read_text()


class _Worker(QObject):
    go = Signal()

    @Slot()
    def work(self):
        raise RuntimeError("in a QThread")


def test_an_exception_in_a_qthread_slot_is_shown_from_the_gui_thread(log_dir, shown, installed, qtbot):
    thread, worker = QThread(), _Worker()
    worker.moveToThread(thread)
    worker.go.connect(worker.work)
    thread.start()
    try:
        worker.go.emit()
        qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    finally:
        thread.quit()
        thread.wait()
    assert "RuntimeError: in a QThread" in shown[0][1] and shown[0][3] is threading.main_thread()


def test_one_dialog_at_a_time_while_every_error_is_logged(log_dir, monkeypatch, qapp):
    from ui import dialogs

    shown = []

    def show_and_fail_again(parent, title, message, details=""):
        shown.append(message)
        try:  # the same error again while this dialog is open (a failing paint event)
            raise RuntimeError("again")
        except RuntimeError:
            guard._report(*sys.exc_info())

    monkeypatch.setattr(dialogs, "show_error", show_and_fail_again)
    try:
        raise RuntimeError("first")
    except RuntimeError:
        guard._report(*sys.exc_info())
    assert len(shown) == 1
    assert (log_dir / "crash.log").read_text().count("=== ") == 2


def test_a_long_log_moves_aside(log_dir, monkeypatch, shown):
    monkeypatch.setattr(crash_log, "MAX_LOG_BYTES", 100)
    log_dir.mkdir()
    (log_dir / "crash.log").write_text("old entry\n" * 20)
    crash_log.append("new entry")
    assert (log_dir / "crash.log.1").read_text().startswith("old entry")
    assert "new entry" in (log_dir / "crash.log").read_text()


def test_a_segfault_leaves_its_trace_in_the_fault_log(log_dir):
    code = ("import resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
            "import faulthandler\n"
            "from ui import crash_log\n"
            "print(crash_log.enable_fault_log())\n"
            "faulthandler._sigsegv()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stdout.strip() == str(log_dir / "faults.log")
    trace = (log_dir / "faults.log").read_text()
    assert "Segmentation fault" in trace and 'File "<string>", line 5' in trace
