"""Which compute devices this machine offers: always the CPU, and CUDA where Numba sees a GPU
or its CUDA simulator is enabled (NUMBA_ENABLE_CUDASIM=1).

numba.cuda (the optional `numba-cuda` package) is imported only when asked, so the CPU-only
install never pays for it and never fails on it.
"""

import importlib
import os


def _cuda_present():
    try:
        cuda = importlib.import_module("numba.cuda")
    except Exception:  # absent or broken numba-cuda: the CPU still works
        return False
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return True
    try:
        return bool(cuda.is_available())
    except Exception:  # a driver that fails to load counts as no GPU
        return False


def available_devices():
    """["cpu"], or ["cpu", "cuda"] where a CUDA GPU (or the simulator) is usable."""
    return ["cpu", "cuda"] if _cuda_present() else ["cpu"]
