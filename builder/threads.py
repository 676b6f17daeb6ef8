"""Thread policy for the kernels: one compute call at a time, one BLAS thread inside kernels.

Numba's workqueue threading layer (kernels/ falls back on it where the system has no
libgomp) aborts the process if two threads enter parallel kernels at once, so
fit/evaluate/predict hold `compute_lock` while they run: a second caller waits instead.

Numba kernels call BLAS from inside compiled loops (each recurrent time step's matrix
product, through SciPy's OpenBLAS). Those products are small and many; a threaded BLAS wakes
and parks its threads for each one, and on a 2-core machine that made an LSTM 7-18x slower
than one thread. Big products are split by rows over Numba's threads instead
(kernels/blocked.py); numpy's own threaded BLAS is left to products too small to use threads.
"""

from __future__ import annotations

import threading
from pathlib import Path

compute_lock = threading.RLock()
_done = False


def limit_in_kernel_blas() -> None:
    """Cap the BLAS that Numba's np.dot uses (SciPy's) to one thread; idempotent."""
    global _done
    if _done:
        return
    _done = True
    import scipy
    import scipy.linalg.cython_blas  # noqa: F401  (loads the library Numba binds)
    from threadpoolctl import ThreadpoolController

    scipy_root = Path(scipy.__file__).resolve().parent.parent
    for library in ThreadpoolController().lib_controllers:
        path = Path(library.filepath).resolve()
        if library.user_api == "blas" and path.parent.name in ("scipy.libs", ".dylibs") and path.is_relative_to(scipy_root):
            library.set_num_threads(1)
