"""Keras-style progress output for fit/evaluate: a bar per epoch (verbose=1), a line (2)."""

from __future__ import annotations

import sys
import time

from .callbacks import Callback

_BAR = 20


def format_logs(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if isinstance(v, (int, float)))


def _duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds * 1000:.0f}ms"


class Progbar:
    """One bar: `update(done, logs)` redraws at most 20 times a second on a terminal."""

    def __init__(self, target: int, verbose: int = 1, stream=None):
        self.target = target
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def _text(self, done: int, logs: dict) -> str:
        width = len(str(self.target))
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(done, 1)
        if self.verbose == 2:
            return f"{done}/{self.target} - {_duration(elapsed)} - {per_step * 1000:.0f}ms/step - {format_logs(logs)}"
        filled = int(_BAR * done / max(self.target, 1))
        bar = "━" * filled + ("\x1b[2m" + "━" * (_BAR - filled) + "\x1b[0m" if filled < _BAR and self.dynamic else "")
        if not self.dynamic:
            bar = "━" * filled + " " * (_BAR - filled)
        timing = _duration(elapsed) if done >= self.target else f"{_duration(per_step * (self.target - done))} left"
        text = f"{done:>{width}}/{self.target} {bar} {timing} {per_step * 1000:.0f}ms/step"
        logs_text = format_logs(logs)
        return f"{text} - {logs_text}" if logs_text else text

    def update(self, done: int, logs: dict, final: bool = False) -> None:
        if self.verbose != 1 or not self.dynamic:
            if final:
                self.stream.write(self._text(done, logs) + "\n")
                self.stream.flush()
            return
        now = time.perf_counter()
        if final or now - self._last_draw >= 0.05:
            self._last_draw = now
            self.stream.write("\r" + self._text(done, logs) + ("\n" if final else ""))
            self.stream.flush()


class ProgbarLogger(Callback):
    """Prints "Epoch i/N" and a progress bar (verbose=1) or one line per epoch (verbose=2)."""

    def __init__(self, verbose: int = 1):
        super().__init__()
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}")
        self.bar = Progbar(self.params["steps"], self.verbose)
        self.seen = 0
        self.last_logs = {}

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        self.last_logs = dict(logs or {})
        if self.seen < self.params["steps"]:
            self.bar.update(self.seen, self.last_logs)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(self.params["steps"], dict(logs or self.last_logs), final=True)
