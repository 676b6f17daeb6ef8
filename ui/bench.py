"""Studio benchmark: the live summary on a 100-layer stack, and the window's start-up time.

Targets (issue 5): an edit of a 100-layer stack is reflected in under 16 ms (one frame);
the window is up in under 1.5 s, compiling no kernel.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

# Run in a fresh interpreter: from nothing imported to the window shown and painted once.
_STARTUP_SCRIPT = r"""
import sys, time
start = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ui.main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
window.grab()
elapsed = time.perf_counter() - start
compiled = sum(
    len(getattr(value, "signatures", ()) or ())
    for name, module in list(sys.modules.items()) if name.startswith("kernels") and module is not None
    for value in vars(module).values() if hasattr(value, "signatures") and hasattr(value, "py_func")
)
print(f"{elapsed:.6f} {compiled}")
"""


def _qt_environment() -> dict:
    env = dict(os.environ)
    if not any(env.get(k) for k in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def startup_seconds(repeats: int = 3) -> tuple[float, int]:
    """(best start-up time over `repeats` fresh processes, kernels compiled by then)."""
    times, compiled = [], 0
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _STARTUP_SCRIPT], capture_output=True, text=True,
                             env=_qt_environment(), check=True).stdout.split()
        times.append(float(out[-2]))
        compiled = max(compiled, int(out[-1]))
    return min(times), compiled


def _hundred_layers():
    from builder.layers import Dense, Dropout
    from builder.project import Project
    from builder.sequential import Sequential

    layers = [Dense(64, activation="relu", input_shape=(64,))]
    while len(layers) < 100:
        layers.append(Dropout(0.1) if len(layers) % 2 else Dense(64, activation="relu"))
    return Project(model=Sequential(layers, name="hundred"))


def edit_milliseconds(edits: int = 40) -> dict[str, float]:
    """Milliseconds for an inspector edit of a 100-layer stack: `update` (the command pushed,
    shapes inferred, summary, canvas and inspector models updated: median and worst), `frame`
    (the same plus a full repaint of the window: median and worst), `inference` (the pure
    shape inference alone, median)."""
    os.environ.update({k: v for k, v in _qt_environment().items() if k == "QT_QPA_PLATFORM"})
    from PySide6.QtWidgets import QApplication

    from .commands import ReplaceLayer
    from .layer_factory import edited_layer
    from .main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(_hundred_layers())
    window.show()
    app.processEvents()
    document = window.document
    window.canvas.select_rows([50])
    app.processEvents()
    updates, frames = [], []
    for i in range(edits):
        layer = document.model.layers[50]
        start = time.perf_counter()
        document.push(ReplaceLayer(document, 50, edited_layer(layer, "units", 32 + i % 2 * 32), "units"))
        updates.append((time.perf_counter() - start) * 1000)
        window.repaint()
        app.processEvents()
        frames.append((time.perf_counter() - start) * 1000)
    inference = []
    for _ in range(edits):
        start = time.perf_counter()
        document.model.shape_rows()
        inference.append((time.perf_counter() - start) * 1000)
    document.mark_saved()  # no unsaved-changes question on close
    window.close()
    return {
        "update": statistics.median(updates), "update_worst": max(updates),
        "frame": statistics.median(frames), "frame_worst": max(frames),
        "inference": statistics.median(inference),
    }


def run(print_fn=print) -> None:
    ms = edit_milliseconds()
    print_fn(f"studio: edit of a 100-layer stack -> summary, canvas and inspector updated in "
             f"{ms['update']:.1f} ms median ({ms['update_worst']:.1f} worst; target < 16 ms); "
             f"with a full window repaint {ms['frame']:.1f} ms median ({ms['frame_worst']:.1f} worst); "
             f"shape inference alone {ms['inference']:.2f} ms")
    seconds, compiled = startup_seconds()
    print_fn(f"studio: window up in {seconds:.2f} s from a fresh process (target < 1.5 s); "
             f"kernels compiled at start-up: {compiled}")


if __name__ == "__main__":
    run()
