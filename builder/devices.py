"""Which compute devices this machine offers, and which one a compile(device=...) takes.

Always the CPU; CUDA where Numba sees a GPU or its CUDA simulator is enabled
(NUMBA_ENABLE_CUDASIM=1). numba.cuda (the optional `numba-cuda` package) is imported only
when asked, so the CPU-only install never pays for it and never fails on it.

The simulator runs kernels in Python, about a thousand times slower than the CPU: it is a
test tool, so "auto" takes CUDA only for a real GPU, while an explicit "cuda" accepts it.

Importing numba.cuda holds the GIL for about 45 ms (long enough to stall the studio's window
when a training run compiles its model with "auto"), so a machine without an NVIDIA driver
is told apart first, by the files the driver installs.
"""

import importlib
import os
import sys

from .errors import ConfigError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def _cuda_module():
    try:
        return importlib.import_module("numba.cuda")
    except Exception:  # absent or broken numba-cuda: the CPU still works
        return None


def _simulated() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def _nvidia_driver_installed() -> bool:
    """Whether the files of an NVIDIA driver exist (Linux, WSL, containers, Windows)."""
    if sys.platform == "win32":
        system = os.path.join(os.environ.get("SystemRoot", r"C:\Windows"), "System32")
        return os.path.exists(os.path.join(system, "nvcuda.dll"))
    return any(os.path.exists(path) for path in
               ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/usr/lib/wsl/lib/libcuda.so.1"))


def _cuda_present():
    if _simulated():
        return _cuda_module() is not None
    return gpu_present()


def _gpu_available(cuda) -> bool:
    try:
        return bool(cuda.is_available())
    except Exception:  # a driver that fails to load counts as no GPU
        return False


def gpu_present() -> bool:
    """Whether a real CUDA GPU is usable (the simulator does not count)."""
    if _simulated() or not _nvidia_driver_installed():
        return False
    cuda = _cuda_module()
    return cuda is not None and _gpu_available(cuda)


def available_devices():
    """["cpu"], or ["cpu", "cuda"] where a CUDA GPU (or the simulator) is usable."""
    return ["cpu", "cuda"] if _cuda_present() else ["cpu"]


def resolve_device(device) -> str:
    """"cpu" or "cuda" for a compile(device=...) argument, or a ConfigError in plain words."""
    if not isinstance(device, str) or device not in DEVICE_CHOICES:
        raise ConfigError(f"invalid device={device!r}: expected one of {', '.join(map(repr, DEVICE_CHOICES))}")
    if device == "auto":
        return "cuda" if gpu_present() else "cpu"
    if device == "cuda" and "cuda" not in available_devices():
        raise ConfigError("device='cuda': no CUDA GPU found (install the 'cuda' extra and an NVIDIA driver)")
    return device
