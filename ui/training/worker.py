"""A training run on a worker thread: the worker rebuilds the project from a snapshot, loads
the data, calls builder's `fit` with a callback that reports through queued signals, and hands
the trained model back when it ends. The GUI thread never calls fit, evaluate or predict.

Reports carry Python scalars and fresh lists, never arrays the worker keeps using, and come at
most `REPORTS_PER_SECOND` times a second (epoch ends always). Stop sets a flag the callback
reads after every batch, so the run ends within one batch.

The GUI thread shares the GIL with this one, so the run keeps its long holds elsewhere: kernels
that still need compiling are compiled by a child process (`python -m builder.warmup`) that
this thread waits for without the GIL; the kernels release it while they run; the garbage
collector's full passes skip the objects that existed when the run began (a pass over the whole
heap held the GIL for 40-90 ms).
"""

from __future__ import annotations

import gc
import math
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QThread, Signal

from builder.callbacks import Callback
from builder.errors import ConfigError, DataError, SeqStudioError, ShapeError

from .analysis import RunResults, analyse
from .snapshot import RunRequest

REPORTS_PER_SECOND = 20
COMPILING = "compiling kernels (first run only)…"
WARMUP_POLL_S = 0.1  # how often Stop is looked at while the kernels compile


@dataclass
class RunOutcome:
    """How a run ended: "finished", "stopped", "diverged" (NaN/inf loss) or "failed"."""

    kind: str
    message: str
    model: object = None
    data_mean: list | None = None
    data_std: list | None = None
    epochs_done: int = 0
    results: RunResults | None = None
    details: str = ""
    logs: dict = field(default_factory=dict)


ERROR_KINDS = ((ShapeError, "Shape error"), (DataError, "Data error"), (ConfigError, "Setting error"))
OUT_OF_MEMORY = ("Out of memory: this model and batch size need more memory than is free; "
                 "try a smaller batch size or model")


def failure_message(error: SeqStudioError) -> str:
    """The error's message after the kind of error it is ("Shape error: ...")."""
    kind = next((name for cls, name in ERROR_KINDS if isinstance(error, cls)), "Error")
    return f"{kind}: {error}"


class _StoppedReading(Exception):
    """Raised from the loader's progress report once Stop was pressed."""


class _Reporter(Callback):
    """fit's callback: per-batch losses (recovered from fit's running means), epoch ends,
    the stop flag and the NaN check. Everything reaches the GUI thread in `progress` reports,
    at most REPORTS_PER_SECOND of them: a small model's epochs can end 60 times a second,
    and a signal each made the window lay out and repaint that often."""

    def __init__(self, worker: TrainingWorker, samples: int, batch_size: int, steps: int):
        super().__init__()
        self.worker, self.samples, self.batch_size, self.steps = worker, samples, batch_size, steps
        self.started = time.monotonic()
        self.last_report = 0.0
        self.pending: list[tuple[float, float]] = []  # (epoch + fraction, batch loss) not yet sent
        self.pending_epochs: list[tuple[int, dict]] = []  # (epoch, its logs) not yet sent
        self.last_batch = 0
        self.epoch = 0
        self.diverged_at: tuple[int, int] | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.previous_sum = 0.0
        self.previous_seen = 0

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0 and self.epoch == 0:
            self.worker.kernels_loaded()
        logs = logs or {}
        loss = float(logs.get("loss", math.nan))
        seen = min((batch + 1) * self.batch_size, self.samples)
        batch_loss = (loss * seen - self.previous_sum) / max(seen - self.previous_seen, 1)
        self.previous_sum, self.previous_seen = loss * seen, seen
        self.pending.append((self.epoch + (batch + 1) / self.steps, batch_loss))
        if not math.isfinite(loss):
            self.diverged_at = (self.epoch, batch)
            self.model.stop_training = True
        if self.worker.stop_requested:
            self.model.stop_training = True
        self.last_batch = batch
        self._report_when_due()
        self.worker.yield_to_gui()

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        self.pending_epochs.append((epoch, logs))
        if self.diverged_at is None and not all(math.isfinite(v) for v in logs.values() if v is not None):
            self.diverged_at = (epoch, self.steps - 1)
            self.model.stop_training = True
        self._report_when_due()

    def on_train_end(self, logs=None):
        if self.pending or self.pending_epochs:
            self.report()

    def _report_when_due(self) -> None:
        if self.model.stop_training or time.monotonic() - self.last_report >= 1.0 / REPORTS_PER_SECOND:
            self.report()

    def report(self) -> None:
        now = self.last_report = time.monotonic()
        done = self.epoch * self.samples + min((self.last_batch + 1) * self.batch_size, self.samples)
        elapsed = now - self.started
        self.worker.progress.emit({
            "epoch": self.epoch, "batch": self.last_batch, "steps": self.steps, "elapsed": elapsed,
            "samples_per_second": done / elapsed if elapsed > 0 else 0.0,
            "points": self.pending, "epochs": self.pending_epochs,
        })
        self.pending, self.pending_epochs = [], []


class TrainingWorker(QObject):
    """Lives on the run's thread; `run()` does everything and ends with `finished`."""

    status = Signal(str)
    loadProgress = Signal(float)
    started = Signal(dict)  # epochs, steps, samples
    progress = Signal(dict)  # see _Reporter.report
    finished = Signal(object)  # RunOutcome

    def __init__(self, request: RunRequest):
        super().__init__()
        self.request = request
        self.stop_requested = False
        self.quiet_until = 0.0  # time.monotonic() until which the GUI thread draws

    def give_way_until(self, deadline: float) -> None:
        """Called from the GUI thread when it starts drawing: the next batch waits (at most
        until `deadline`, or until `give_way_until(0)`) so the drawing has the GIL alone."""
        self.quiet_until = deadline

    def yield_to_gui(self) -> None:
        """Between two batches: sleep while the GUI thread draws, else just offer the GIL
        (rather than making a waiting GUI thread wait out the 5 ms switch interval)."""
        wait = self.quiet_until - time.monotonic()
        time.sleep(wait if wait > 0 else 0)

    def request_stop(self) -> None:
        """Called from the GUI thread: a plain flag the callback reads after each batch."""
        self.stop_requested = True

    def kernels_loaded(self) -> None:
        """After the first batch: Numba's state and the kernels' code are loaded, long-lived
        like the rest, so they join the objects the collector's full passes skip."""
        gc.freeze()
        if self._collecting:
            gc.enable()

    def run(self) -> None:
        # Until the first batch the collector is off (loading Numba's state made a full pass
        # hold the GIL 25-90 ms); then everything that exists is frozen (gc.freeze)
        self._collecting = gc.isenabled()
        gc.disable()
        gc.freeze()
        try:
            outcome = self._train()
        except _StoppedReading:
            outcome = RunOutcome("stopped", "stopped while reading the data")
        except SeqStudioError as error:
            outcome = RunOutcome("failed", failure_message(error))
        except MemoryError:
            outcome = RunOutcome("failed", OUT_OF_MEMORY, details=traceback.format_exc())
        except Exception as error:  # noqa: BLE001 - any failure ends the run with a message, never the studio
            outcome = RunOutcome("failed", f"Unexpected error: {type(error).__name__}: {error}",
                                 details=traceback.format_exc())
        finally:
            gc.unfreeze()  # garbage from before the run is collected again, outside it
            if self._collecting:
                gc.enable()
        self.finished.emit(outcome)

    def _train(self) -> RunOutcome:
        from builder.project.data import model_arrays

        self.status.emit("loading data…")
        project = self.request.project()
        train, validation = project.load_data(progress=self._load_progress, train=self.request.train_data)
        self.status.emit("building the model…")
        model = project.compiled_model()
        x, y = model_arrays(train, model)
        validation_data = None if validation is None else model_arrays(validation, model)
        settings = project.compile
        batch_size = int(model.input_shape[0] or settings.batch_size or 32)
        steps = max(1, math.ceil(len(x) / batch_size))
        reporter = _Reporter(self, len(x), batch_size, steps)
        self.started.emit({"epochs": int(settings.epochs), "steps": steps, "samples": len(x)})
        self._warm_kernels(model, settings, x, y, batch_size, validation_data is not None)
        if self.stop_requested:
            return RunOutcome("stopped", "stopped before the first batch")
        self.status.emit("training…")
        history = model.fit(x, y, verbose=0, validation_data=validation_data, callbacks=[reporter],
                            **dict(settings.fit_arguments(), batch_size=batch_size))
        epochs_done = len(history.epoch)
        last = {k: float(v[-1]) for k, v in history.history.items() if v}
        mean, std = project.data.mean, project.data.std
        if reporter.diverged_at is not None:
            epoch, batch = reporter.diverged_at
            return RunOutcome("diverged", f"the loss became NaN or infinite at epoch {epoch + 1}, batch {batch + 1}: "
                              "the run stopped and the project keeps its weights (try a smaller learning rate)",
                              epochs_done=epochs_done, logs=last)
        self.status.emit("computing results…")
        shown, source = (validation, "validation") if validation is not None else (train, "training")
        shown_x = x if shown is train else validation_data[0]
        results = analyse(model.loss.name, shown, model.predict(shown_x, batch_size=batch_size), last, source)
        kind = "stopped" if self.stop_requested else "finished"
        what = "stopped after" if kind == "stopped" else "trained"
        return RunOutcome(kind, f"{what} {epochs_done} epoch{'s' if epochs_done != 1 else ''}", model=model,
                          data_mean=mean, data_std=std, epochs_done=epochs_done, results=results, logs=last)

    def _load_progress(self, fraction: float) -> None:
        if self.stop_requested:
            raise _StoppedReading
        self.loadProgress.emit(fraction)
        time.sleep(0)  # offer the GIL between chunks (see background.py)

    def _warm_kernels(self, model, settings, x, y, batch_size: int, validation: bool) -> None:
        """Compile what this fit needs in a child process unless a stamp says it is cached;
        a warmup that fails leaves the compiling to the fit itself (slower, never wrong)."""
        from builder import warmup

        with tempfile.TemporaryDirectory(prefix="seqstudio-warmup-") as folder:
            key = warmup.write_spec(folder, model, settings, x, y, batch_size, validation)
            if warmup.is_warm(key):
                return
            self.status.emit(COMPILING)
            process = subprocess.Popen([sys.executable, "-m", "builder.warmup", folder],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                try:
                    process.wait(WARMUP_POLL_S)
                    return
                except subprocess.TimeoutExpired:
                    if self.stop_requested:
                        process.kill()
                        process.wait()
                        return


class TrainingRun(QObject):
    """One run: a TrainingWorker moved to its own QThread. `finished(RunOutcome)` arrives on
    the GUI thread; `join()` waits for the thread (tests, closing the window)."""

    finished = Signal(object)

    def __init__(self, request: RunRequest, parent: QObject | None = None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("trainingThread")
        self.worker = TrainingWorker(request)
        self.worker.moveToThread(self.thread)
        self.outcome: RunOutcome | None = None
        self.thread.started.connect(self.worker.run)
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.worker.finished.connect(self._keep_outcome)
        self.thread.finished.connect(self._thread_finished)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.worker.request_stop()

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    def join(self, timeout_ms: int = 60000) -> bool:
        self.worker.request_stop()
        self.thread.quit()
        return self.thread.wait(timeout_ms)

    def _keep_outcome(self, outcome: RunOutcome) -> None:
        self.outcome = outcome

    def _thread_finished(self) -> None:
        if self.outcome is not None:
            self.finished.emit(self.outcome)
