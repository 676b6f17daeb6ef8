"""Soak benchmark (issue 9): the studio edits and trains for many cycles; memory stays flat and
no thread or timer is left behind.

    python -m ui.bench_soak [--cycles 800] [--epochs 1]

The real MainWindow opens offscreen on its default project (the digits template and the
bundled digits). Each cycle edits the stack as a user would (a Dense dropped on the canvas at
row 1, its units edited, Undo, Redo, Delete) and trains one short run with the Train button,
waiting in a QEventLoop for the panel's `runFinished`. The undo history, which keeps every
run's trained weights, is never cleared, nor are the earlier runs' curves.

Resident memory is read after the first cycle (the warm-up: kernels loaded, plots and data
built) and after the last; threads and timers once the window has closed. The last line is
`soak-result: {json}` for `seqstudio bench` and the tests. Exit status 1 when a thread, a
timer or a child process is left behind or memory grew by more than GROWTH_LIMIT_MIB a cycle;
2 when the soak could not run (a run failed or never ended).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_CYCLES = 800  # about a minute and a half on two cores
RESULT_PREFIX = "soak-result: "
RUN_TIMEOUT_MS = 300_000  # a hang guard only: the first run in a fresh Numba cache compiles kernels
# What a cycle may keep: its four undo steps, above all the run's StoreTrainedWeights, which
# holds the trained model. For the digits MLP that is about 0.23 MiB: the weights before and
# after (2 x 19 KiB), but also Adam's slots, the flat gradients, the layers' batch buffers and
# the 360 x 64 validation rows the first layer's cached input keeps alive. Without leaks a cycle
# measured 0.25 to 0.30 MiB; each leak found so far added about 0.22 MiB, so 0.4 tells them apart.
GROWTH_LIMIT_MIB = 0.4


def rss_mib() -> float:
    """The resident set now (Linux); elsewhere the peak so far, which can only over-report."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)


def os_threads() -> int:
    """Threads of this process as the kernel counts them (Qt's, BLAS's pool, Python's)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def python_threads() -> int:
    """Python's threads that still run. Python 3.11 never forgets a thread Qt started once it
    asked for threading.current_thread() (a _DummyThread, as a run's worker does), so on Linux
    only the ids the kernel still lists count."""
    try:
        alive = {int(task) for task in os.listdir("/proc/self/task")}
    except OSError:
        return threading.active_count()
    return sum(1 for thread in threading.enumerate() if thread.native_id in alive)


def child_processes() -> int:
    """Processes this one started that have not been waited for (a run's kernel warm-up)."""
    try:
        return sum(len(Path(f"/proc/self/task/{task}/children").read_text().split())
                   for task in os.listdir("/proc/self/task"))
    except OSError:
        return 0


def running_qthreads() -> list[str]:
    """QThreads made from Python (runs, data loaders) that are still running."""
    from PySide6.QtCore import QThread

    main = QThread.currentThread()
    return [obj.objectName() or "QThread" for obj in gc.get_objects()
            if isinstance(obj, QThread) and obj is not main and obj.isRunning()]


def active_timers(app) -> list[str]:
    """Active QTimers anywhere under the application's top-level widgets, by their owner."""
    from PySide6.QtCore import QTimer

    return [f"{type(timer.parent()).__name__}.{timer.objectName() or 'QTimer'}"
            for widget in app.topLevelWidgets() for timer in widget.findChildren(QTimer) if timer.isActive()]


def settle(app) -> None:
    """Deliver posted events and deferred deletes, then collect, so what stays is really held."""
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(3):
        app.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def wait_for(signal, timeout_ms: int) -> tuple | None:
    """Run a local event loop until `signal` fires (its arguments), or None from the hang guard."""
    from PySide6.QtCore import QEventLoop, QTimer

    received: list[tuple] = []
    loop = QEventLoop()

    def arrived(*args):
        received.append(args)
        loop.quit()

    signal.connect(arrived)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(timeout_ms)
    loop.exec()
    guard.stop()
    signal.disconnect(arrived)
    return received[0] if received else None


def edit_stack(window) -> None:
    """One round of edits through the studio's own paths: drop, inspector edit, undo, redo, delete."""
    from PySide6.QtCore import Qt

    from .commands import ReplaceLayer
    from .layer_factory import edited_layer
    from .stack_model import layer_types_mime

    document, canvas = window.document, window.canvas
    model = canvas.model()
    before = len(document.model.layers)
    model.dropMimeData(layer_types_mime(["Dense"]), Qt.DropAction.CopyAction, 1, 0, model.index(-1, -1))
    units = document.model.layers[1].units
    document.push(ReplaceLayer(document, 1, edited_layer(document.model.layers[1], "units", units + 16), "units"))
    window.undo_action.trigger()
    window.redo_action.trigger()
    canvas.select_rows([1])
    canvas.stack_actions.delete.trigger()
    if len(document.model.layers) != before:
        raise RuntimeError("the edits did not bring the stack back to its layers")


def train_once(panel) -> None:
    """Click Train and wait for the run's end; RuntimeError unless it finished."""
    panel.train_button.click()
    received = wait_for(panel.runFinished, RUN_TIMEOUT_MS)
    if received is None:
        raise RuntimeError(f"no run ended within {RUN_TIMEOUT_MS / 1000:.0f} s")
    outcome = received[0]
    if outcome.kind != "finished":
        raise RuntimeError(f"a run {outcome.kind}: {outcome.message}")


def _cycles(app, window, panel, cycles: int, started: float, print_fn) -> tuple[float, float, int]:
    """Edit and train `cycles` times: (RSS after the first, RSS after the last, threads after the first)."""
    every = max(1, cycles // 10)
    for cycle in range(1, cycles + 1):
        edit_stack(window)
        train_once(panel)
        if cycle == 1:
            settle(app)
            rss_start, os_threads_warm = rss_mib(), os_threads()
        if cycle % every == 0 or cycle == 1:
            print_fn(f"cycle {cycle:>4}: RSS {rss_mib():7.1f} MiB, {window.document.undo_stack.count()} undo steps, "
                     f"{time.perf_counter() - started:6.1f} s")
    settle(app)
    return rss_start, rss_mib(), os_threads_warm


def soak(cycles: int, epochs: int, print_fn=print) -> dict:
    """Open the window, edit and train `cycles` times, close it; the figures as a dict."""
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    python_threads_before = python_threads()
    started = time.perf_counter()
    window = MainWindow()
    window.show()
    window.side_tabs.setCurrentWidget(window.train_host)
    panel = window.train_panel
    if panel.data_panel.dataset is None and wait_for(panel.data_panel.datasetLoaded, RUN_TIMEOUT_MS) is None:
        raise RuntimeError("the bundled digits did not load")
    window.document.project.compile.epochs = epochs
    panel.compile_panel.refresh()

    try:
        rss_start, rss_end, os_threads_warm = _cycles(app, window, panel, cycles, started, print_fn)
        history = window.document.undo_stack.count()
    finally:  # also after a failed run: a run's thread is joined before the interpreter ends
        window.document.mark_saved()  # no unsaved-changes question on close
        window.close()
        settle(app)
    timers = active_timers(app)
    qthreads = running_qthreads()
    os_left = max(0, os_threads() - os_threads_warm)
    python_left = max(0, python_threads() - python_threads_before)
    children = child_processes()
    window.deleteLater()
    settle(app)
    return {
        "cycles": cycles, "epochs": epochs, "seconds": time.perf_counter() - started, "undo_steps": history,
        "rss_start_mib": rss_start, "rss_end_mib": rss_end,
        "growth_per_cycle_mib": (rss_end - rss_start) / (cycles - 1), "growth_limit_mib": GROWTH_LIMIT_MIB,
        "threads_left": max(os_left, python_left, len(qthreads)), "qthreads_running": qthreads,
        "os_threads_left": os_left, "python_threads_left": python_left,
        "timers_left": len(timers), "timers": timers, "child_processes_left": children,
    }


def verdict(result: dict) -> list[str]:
    """What failed, in words (empty when the soak passed)."""
    problems = []
    if result["threads_left"]:
        problems.append(f"{result['threads_left']} thread(s) left: QThreads running {result['qthreads_running']}, "
                        f"OS threads +{result['os_threads_left']}, Python threads +{result['python_threads_left']}")
    if result["child_processes_left"]:
        problems.append(f"{result['child_processes_left']} child process(es) left")
    if result["timers_left"]:
        problems.append(f"{result['timers_left']} timer(s) still active: {', '.join(result['timers'])}")
    if result["growth_per_cycle_mib"] > result["growth_limit_mib"]:
        problems.append(f"memory grew {result['growth_per_cycle_mib']:.3f} MiB a cycle "
                        f"(limit {result['growth_limit_mib']} MiB: the undo history's share)")
    return problems


def report(result: dict, print_fn=print) -> None:
    print_fn(f"{'cycles':>6} {'RSS start MiB':>14} {'RSS end MiB':>12} {'growth/cycle MiB':>17} "
             f"{'threads left':>13} {'timers left':>12}")
    print_fn(f"{result['cycles']:>6} {result['rss_start_mib']:>14.1f} {result['rss_end_mib']:>12.1f} "
             f"{result['growth_per_cycle_mib']:>17.3f} {result['threads_left']:>13} {result['timers_left']:>12}")
    problems = verdict(result)
    print_fn("soak: " + ("; ".join(problems) if problems else
                         f"passed (growth under {result['growth_limit_mib']} MiB a cycle, nothing left running)"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=DEFAULT_CYCLES, help="edit-and-train cycles (at least 2)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs of each run")
    args = parser.parse_args(argv)
    if args.cycles < 2:
        parser.error("--cycles: at least 2 (the first one is the warm-up)")
    if args.epochs < 1:
        parser.error("--epochs: at least 1")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    with tempfile.TemporaryDirectory(prefix="seqstudio-soak-") as folder:
        # the user's settings and recovery copies stay untouched
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        os.environ["SEQSTUDIO_RECOVERY_DIR"] = os.path.join(folder, "recovery")
        try:
            result = soak(args.cycles, args.epochs, print_fn=lambda line: print(line, flush=True))
        except RuntimeError as error:
            print(f"soak: could not run: {error}", file=sys.stderr)
            return 2
    report(result)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 1 if verdict(result) else 0


if __name__ == "__main__":
    raise SystemExit(main())
