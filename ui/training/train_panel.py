"""The Train area: Train / Stop, the progress bar, the run's status and messages, and tabs for
the curves, the results, the data and the compile settings.

A run trains a snapshot of the project on a worker thread; when it ends its weights come back
into the stack as one undo step ("Train 3 epochs"), so editing afterwards keeps the layers
whose shapes did not change and Train continues from there. A failed run changes nothing.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractEventDispatcher, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QTabWidget, QVBoxLayout,
                               QWidget)

from .. import theme
from ..widgets import panel_title, styled_label
from .commands import StoreTrainedWeights
from .compile_panel import CompilePanel
from .curves import CurvesPanel
from .data_panel import DataPanel
from .results import ResultsView
from .snapshot import RunRequest
from .worker import RunOutcome, TrainingRun


GIVE_WAY_S = 0.03  # the longest the worker pauses for one redraw of the curves


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class TrainPanel(QWidget):
    """`runFinished(RunOutcome)` after each run has ended and its thread is joined."""

    runFinished = Signal(object)

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainPanel")
        self.document = document
        self.run: TrainingRun | None = None
        self._on_idle: list = []  # called when the event loop is next idle
        self._elapsed = 0.0
        self.train_button = QPushButton("Train", self)
        self.train_button.setObjectName("trainButton")
        self.train_button.setDefault(True)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("ready")
        self.progress_bar.setValue(0)
        self.status = styled_label("", "hint", self)
        self.status.setObjectName("trainStatus")
        self.message = styled_label("", "fieldError", self, wrap=True)
        self.message.setObjectName("trainMessage")
        self.message.hide()

        self.curves = CurvesPanel(self)
        self.results = ResultsView(self)
        self.data_panel = DataPanel(document, self)
        self.compile_panel = CompilePanel(document, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("trainTabs")
        self.tabs.setDocumentMode(True)
        for widget, title in ((self.curves, "Curves"), (self.results, "Results"), (self.data_panel, "Data"),
                              (self.compile_panel, "Compile")):
            self.tabs.addTab(widget, title)

        self.status.setMinimumWidth(40)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(8, 0, 8, 0)
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.status, 1)
        progress_row = QHBoxLayout()
        progress_row.setContentsMargins(8, 0, 8, 0)
        progress_row.addWidget(self.progress_bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.setSpacing(4)
        layout.addWidget(panel_title("Train", self))
        layout.addLayout(buttons)
        layout.addLayout(progress_row)
        self.message.setContentsMargins(10, 0, 10, 0)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        theme.style(self, "panel")

        self.curves.prepare(*self._curve_series())
        self.curves.drawing.connect(self._give_way)
        self.data_panel.lossSuggested.connect(self.compile_panel.suggest_loss)
        self.train_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)

    # -- a run -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.run is not None

    def start(self) -> None:
        if self.running:
            return
        self.message.hide()
        request = RunRequest.of(self.document.project, self.data_panel.dataset_for_run())
        # the curves are made now, while no training thread competes for the GIL
        self.curves.begin_run(*self._curve_series(), int(request.compile.epochs))
        self.run = TrainingRun(request, self)
        worker = self.run.worker
        worker.status.connect(self.status.setText)
        worker.loadProgress.connect(self._loading)
        worker.started.connect(self._run_started)
        worker.progress.connect(self._progress)
        self.run.finished.connect(self._finished)
        self.train_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("starting…")
        self.tabs.setCurrentWidget(self.curves)
        self._when_idle(self._start_thread)

    def _start_thread(self) -> None:
        """The thread starts once the cleared curves are painted, which then need no GIL
        from a thread that is busy reading the data."""
        if self.run is not None and not self.run.running:
            self.run.start()

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()
            self.status.setText("stopping after this batch…")
            self.stop_button.setEnabled(False)

    def shutdown(self) -> None:
        """Stop a run and wait for the threads (closing the window, tests)."""
        self.data_panel.join()
        if self.run is not None:
            self.run.finished.disconnect(self._finished)
            self.run.join()
            self.curves.end_run()
            self.run = None

    def _curve_series(self) -> tuple[list[str], bool]:
        """The metrics a run will report, and whether it validates."""
        project = self.document.project
        validation = project.data.validation_path is not None or project.data.validation_split > 0
        return [str(m) for m in project.compile.metrics], validation

    def _give_way(self) -> None:
        """The curves are about to take new data and repaint: the worker pauses between
        batches until the event loop has nothing left to do (at most GIVE_WAY_S), so that
        drawing does not wait for the GIL at every call from Qt into Python."""
        if self.run is None:
            return
        self.run.worker.give_way_until(time.monotonic() + GIVE_WAY_S)
        self._when_idle(self._end_give_way)

    def _end_give_way(self) -> None:
        if self.run is not None:
            self.run.worker.give_way_until(0.0)

    def _when_idle(self, callback) -> None:
        """Call `callback` once, when the event loop has handled what is pending (its
        dispatcher is about to block), e.g. after the paints an update asked for."""
        if callback in self._on_idle:
            return
        self._on_idle.append(callback)
        if len(self._on_idle) == 1:
            QAbstractEventDispatcher.instance().aboutToBlock.connect(self._idle)

    def _idle(self) -> None:
        QAbstractEventDispatcher.instance().aboutToBlock.disconnect(self._idle)
        callbacks, self._on_idle = self._on_idle, []
        for callback in callbacks:
            callback()

    def _loading(self, fraction: float) -> None:
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(int(fraction * 1000))
        self.progress_bar.setFormat(f"loading data {fraction:.0%}")

    def _run_started(self, info: dict) -> None:
        self.epochs, self.steps = info["epochs"], info["steps"]
        self._elapsed = 0.0
        self.progress_bar.setRange(0, self.epochs * self.steps)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(f"epoch 1 of {self.epochs}")

    def _progress(self, report: dict) -> None:
        self._elapsed = report["elapsed"]
        self.curves.add_batches(report["points"])
        for epoch, logs in report["epochs"]:
            self.curves.add_epoch(epoch, logs)
        epoch, batch, steps = report["epoch"], report["batch"], report["steps"]
        done = epoch * steps + batch + 1
        self.progress_bar.setValue(done)
        rate = report["samples_per_second"]
        left = report["elapsed"] * (self.epochs * steps - done) / max(done, 1)
        text = (f"epoch {epoch + 1} of {self.epochs} · batch {batch + 1}/{steps} · "
                f"{rate:,.0f} samples/s · {_clock(left)} left")
        if self.progress_bar.fontMetrics().horizontalAdvance(text) > self.progress_bar.width() - 12:
            text = f"epoch {epoch + 1}/{self.epochs} · batch {batch + 1}/{steps} · {rate:,.0f}/s · {_clock(left)} left"
        self.progress_bar.setFormat(text)
        self.status.setToolTip(self.progress_bar.text())
        if self.status.text() != "training…" and report["points"]:
            self.status.setText("training…")

    def _finished(self, outcome: RunOutcome) -> None:
        self.run.deleteLater()
        self.run = None
        self.curves.end_run()
        self.train_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)
        if outcome.model is not None:
            self.document.push(StoreTrainedWeights(self.document, outcome.model, outcome.data_mean,
                                                   outcome.data_std, f"Train {outcome.epochs_done} epochs"))
            self.status.setText("weights kept")
            self.status.setToolTip("The trained weights are in the stack; Edit > Undo forgets them.")
            self.progress_bar.setFormat(f"{outcome.message} in {_clock(self._elapsed)}")
            if outcome.results is not None:
                self.results.show_results(outcome.results)
        else:
            self.status.setText("the project is unchanged")
            self.progress_bar.setFormat(outcome.kind)
            self.message.setText(outcome.message)
            self.message.setToolTip(outcome.details)
            self.message.show()
        self.runFinished.emit(outcome)
