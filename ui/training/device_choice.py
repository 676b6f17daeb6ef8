"""The compile panel's device selector: Automatic, CPU or CUDA GPU.

Whether a GPU exists is found out once per process on a background thread: importing
numba.cuda and loading the driver take a fifth of a second or more, too long for the GUI
thread. Until the answer comes, and for good where there is no GPU, the selector is
disabled with a tooltip saying why (unless the project already asks for "cuda", so the user
can change that back)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from builder import devices

CHOICES = (("Automatic", "auto"), ("CPU", "cpu"), ("CUDA GPU", "cuda"))
LOOKING = "Looking for a CUDA GPU…"
NO_GPU = ("No CUDA GPU found: training runs on the CPU. To train on an NVIDIA GPU, install "
          "SeqStudio's 'cuda' extra (numba-cuda) and the NVIDIA driver.")
WITH_GPU = ("Automatic trains on the GPU when every layer of the model has CUDA kernels, "
            "and on the CPU otherwise.")


class _GpuProbe(QObject):
    """Asks once per process whether a real GPU is usable; `answered` carries the answer."""

    answered = Signal(bool)

    def __init__(self):
        super().__init__()
        self.answer: bool | None = None
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            threading.Thread(target=self._probe, name="gpu-probe", daemon=True).start()

    def _probe(self) -> None:
        self.answer = devices.gpu_present()
        self.answered.emit(self.answer)


_probe: _GpuProbe | None = None


def gpu_probe() -> _GpuProbe:
    global _probe
    if _probe is None:
        _probe = _GpuProbe()
    return _probe


class DeviceChoice(QComboBox):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("deviceBox")
        for text, value in CHOICES:
            self.addItem(text, value)
        self.gpu: bool | None = None
        probe = gpu_probe()
        probe.answered.connect(self._gpu_found)
        probe.start()
        self._gpu_found(probe.answer)

    def show_device(self, device: str) -> None:
        self.setCurrentIndex(max(0, self.findData(device)))
        self._update_enabled()

    def _gpu_found(self, present: bool | None) -> None:
        self.gpu = present
        self.setToolTip(LOOKING if present is None else WITH_GPU if present else NO_GPU)
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.setEnabled(bool(self.gpu) or self.currentData() == "cuda")
