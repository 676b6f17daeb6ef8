"""The exception guard: an exception escaping a slot or a thread shows a message instead of
killing the window. Errors the user caused (SeqStudioError) read as plain sentences; anything
else is a bug: it is appended to the crash log (ui.crash_log) and shown with its traceback
under "Show Details" and the log's path.

SeqStudioErrors are not logged: their message already says all there is (a bad file, a bad
value), and a log that holds only bugs stays worth reading.
"""

from __future__ import annotations

import sys
import threading
import traceback

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication

from builder.errors import SeqStudioError

from . import crash_log, dialogs


class _Relay(QObject):
    """Lives in the GUI thread: a report emitted from another thread is queued to it, since
    a dialog may only be shown from the GUI thread."""

    report = Signal(str, str, str)  # title, message, details

    def __init__(self):
        super().__init__()
        self.report.connect(self.show)

    @Slot(str, str, str)
    def show(self, title: str, message: str, details: str) -> None:
        _show_now(title, message, details)


_relay: _Relay | None = None
_showing = False


def _report(kind, value, tb, thread_name: str | None = None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    details = "".join(traceback.format_exception(kind, value, tb))
    if sys.stderr is not None:
        print(details, file=sys.stderr)
    if issubclass(kind, SeqStudioError):
        _show("SeqStudio", str(value), "")
        return
    try:
        where = f"Details were written to {crash_log.append(details, thread_name)}"
    except Exception as err:  # noqa: BLE001 - a log that cannot be written must not raise in turn
        where = f"The crash log could not be written ({err})"
    origin = f" in the background thread {thread_name!r}" if thread_name else ""
    _show("SeqStudio: unexpected error",
          f"Something went wrong{origin}: {kind.__name__}: {value}\n\nThe window stays open. {where}.", details)


def _thread_report(args) -> None:
    """threading.excepthook: an exception that ended a Python thread."""
    if args.exc_type is SystemExit:
        return
    thread_name = args.thread.name if args.thread is not None else "?"
    _report(args.exc_type, args.exc_value, args.exc_traceback, thread_name)


def _show(title: str, message: str, details: str) -> None:
    if _relay is not None:
        _relay.report.emit(title, message, details)
    else:
        _show_now(title, message, details)


def _show_now(title: str, message: str, details: str) -> None:
    """One dialog at a time: an error repeating while one is open (a failing paint event) is
    logged and printed, not stacked into endless dialogs."""
    global _showing
    if _showing or QApplication.instance() is None:
        return
    _showing = True
    try:
        dialogs.show_error(None, title, message, details)
    finally:
        _showing = False


def install() -> None:
    """Route uncaught exceptions to the log and a dialog: sys.excepthook (Qt calls it for an
    exception in a slot, in any QThread) and threading.excepthook; faulthandler to faults.log.
    Call it from the GUI thread, with the application's name set (it names the log folder)."""
    global _relay
    _relay = _Relay()
    sys.excepthook = _report
    threading.excepthook = _thread_report
    crash_log.enable_fault_log()
