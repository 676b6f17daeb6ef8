"""A function run once on its own QThread, its result or error handed back on the GUI thread
(loading a data file for the preview, never on the GUI thread).

The function reports progress through the callback it is handed (passed on at most 20 times
a second); `cancel()` makes that callback raise, so the function stops at its next report and
the job ends with CANCELLED."""

from __future__ import annotations

import time
import traceback

from PySide6.QtCore import QObject, Qt, QThread, Signal

from builder.errors import SeqStudioError

CANCELLED = "cancelled"
REPORTS_PER_SECOND = 20  # progress signals handed to the GUI thread, at most


class _Cancelled(Exception):
    pass


class _Job(QObject):
    done = Signal(object, str)  # result, error message ("" when it worked)
    progress = Signal(float)

    def __init__(self, function):
        super().__init__()
        self.function = function
        self.cancelled = False  # set from the GUI thread, read here at each report
        self.last_report = 0.0

    def report(self, fraction: float) -> None:
        if self.cancelled:
            raise _Cancelled
        # offer the GIL: a thread iterating a csv.reader was seen to keep it for 200-400 ms
        # from a waiting GUI thread, and a sleep(0) at each report hands it over at once
        time.sleep(0)
        now = time.monotonic()
        if now - self.last_report >= 1.0 / REPORTS_PER_SECOND or fraction >= 1.0:
            self.last_report = now
            self.progress.emit(fraction)

    def run(self) -> None:
        try:
            self.done.emit(self.function(self.report), "")
        except _Cancelled:
            self.done.emit(None, CANCELLED)
        except SeqStudioError as error:
            self.done.emit(None, str(error))
        except Exception as error:  # noqa: BLE001 - shown in the panel, never raised into Qt
            self.done.emit(None, f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}")


class BackgroundJob(QObject):
    """`BackgroundJob(function)`: function(progress) runs on a thread; `finished(result, error)`."""

    finished = Signal(object, str)
    progress = Signal(float)

    def __init__(self, function, parent: QObject | None = None):
        super().__init__(parent)
        self.thread = QThread()
        self.job = _Job(function)
        self.job.moveToThread(self.thread)
        self.thread.started.connect(self.job.run)
        self.job.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.job.done.connect(self._keep)
        self.job.progress.connect(self.progress)
        self.thread.finished.connect(self._finished)
        self._result = (None, CANCELLED)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        """Stop at the function's next progress report; `finished(None, CANCELLED)` follows."""
        self.job.cancelled = True

    def join(self, timeout_ms: int = 30000) -> bool:
        return self.thread.wait(timeout_ms)

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    def _keep(self, result, error: str) -> None:
        self._result = (result, error)

    def _finished(self) -> None:
        self.finished.emit(*self._result)
