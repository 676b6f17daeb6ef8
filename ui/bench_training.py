"""Benchmark: how long the GUI thread stalls while the studio trains (issue 6: never > 50 ms).

A QTimer asks to run every 10 ms on the GUI thread and records the longest gap between two
of its ticks while the window trains the default project (bundled digits), curves and progress
bar drawing as they would; the window has finished starting (data preview read) first. One
epoch of the digits takes about 25 ms, hence 20 epochs by default. `--cold` points Numba at an
empty cache first, so the first run also compiles its kernels (in the warmup child process,
as on a machine's first run); later runs find them cached. Each run is followed 0.3 s past its
end (results drawn, weights kept) before the next one starts.

    python -m ui.bench_training [--epochs 20] [--runs 2] [--cold]

The machine's other load shows up as gaps too: run it two or three times.

SeqStudio's own modules are byte-compiled first, as an install does: where
PYTHONDONTWRITEBYTECODE is set (CI images, this project's development machine) an editable
checkout has no .pyc files, and each module the worker imports for the first time is
compiled from source with the GIL held, 10-60 ms a module: a cost no installed copy pays.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sys
import tempfile
import time
from pathlib import Path

TICK_MS = 10
SETTLE_S = 0.5
TAIL_S = 0.3  # how long each run is followed after it ends


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2, help="runs in a row (later runs find the kernels loaded)")
    parser.add_argument("--cold", action="store_true", help="compile the kernels (empty Numba cache)")
    args = parser.parse_args(argv)
    _compile_bytecode()
    if args.cold:
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="seqstudio-numba-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    window.side_tabs.setCurrentWidget(window.train_host)
    panel = window.train_panel
    window.document.project.compile.epochs = args.epochs
    panel.compile_panel.refresh()
    _settle(app, panel)

    worst_of_all = 0.0
    for run in range(1, args.runs + 1):
        worst_of_all = max(worst_of_all, _measure(app, panel, run, args.cold and run == 1))
    print(f"worst GUI stall: {worst_of_all:.1f} ms (target: under 50 ms)")
    window.document.undo_stack.setClean()
    window.close()
    return 0 if worst_of_all < 50 else 1


def _compile_bytecode() -> None:
    root = Path(__file__).resolve().parent.parent
    for package in ("builder", "kernels", "ui"):
        compileall.compile_dir(root / package, quiet=1)


def _settle(app, panel) -> None:
    """Let the window finish starting (the data preview read, first paints) before measuring:
    the benchmark is about training, not about opening the studio."""
    deadline = time.perf_counter() + 30
    while panel.data_panel.dataset is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    settled = time.perf_counter() + SETTLE_S
    while time.perf_counter() < settled:
        app.processEvents()
        time.sleep(0.005)


def _measure(app, panel, run: int, compiling: bool) -> float:
    """One run of the Train button; prints and returns its worst gap in ms."""
    from PySide6.QtCore import QEventLoop, QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]
    first_batch = [None]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        if first_batch[0] is None and panel.progress_bar.value() > 0:
            first_batch[0] = len(gaps)

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    outcome = []
    loop = QEventLoop()
    panel.runFinished.connect(outcome.append)
    panel.runFinished.connect(loop.quit)
    started = time.perf_counter()
    timer.start()
    last[0] = time.perf_counter()
    panel.train_button.click()
    loop.exec()
    elapsed = time.perf_counter() - started
    finished_at = len(gaps)
    QTimer.singleShot(int(TAIL_S * 1000), loop.quit)  # what the run's end left to draw
    loop.exec()
    timer.stop()
    panel.runFinished.disconnect(outcome.append)
    panel.runFinished.disconnect(loop.quit)
    result = outcome[0]
    split = first_batch[0] or finished_at
    before, during, after = gaps[:split], gaps[split:finished_at], gaps[finished_at:]
    print(f"run {run}: {result.kind} ({result.message}) in {elapsed:.2f} s, {len(gaps)} ticks of {TICK_MS} ms")
    if before:
        what = "loading, compiling kernels" if compiling else "loading, preparing"
        print(f"  until the first batch ({what}): worst gap {max(before) * 1000:.1f} ms")
    if during:
        print(f"  while training: worst gap {max(during) * 1000:.1f} ms, mean {sum(during) / len(during) * 1000:.1f} ms")
    if after:
        print(f"  after it ({TAIL_S:.1f} s: results, weights kept): worst gap {max(after) * 1000:.1f} ms")
    return max(gaps, default=0.0) * 1000


if __name__ == "__main__":
    raise SystemExit(main())
