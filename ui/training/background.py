"""A function run once on its own QThread, its result or error handed back on the GUI thread
(loading a data file for the preview, never on the GUI thread)."""

from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, Qt, QThread, Signal

from builder.errors import SeqStudioError


class _Job(QObject):
    done = Signal(object, str)  # result, error message ("" when it worked)
    progress = Signal(float)

    def __init__(self, function):
        super().__init__()
        self.function = function

    def run(self) -> None:
        try:
            self.done.emit(self.function(self.progress.emit), "")
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
        self._result = (None, "cancelled")

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout_ms: int = 30000) -> bool:
        return self.thread.wait(timeout_ms)

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    def _keep(self, result, error: str) -> None:
        self._result = (result, error)

    def _finished(self) -> None:
        self.finished.emit(*self._result)
