"""Numba compute kernels over float32 C-contiguous arrays.

Kernels know nothing of layers, models or files: each takes arrays and writes into output
buffers it is handed. CPU kernels are compiled once per machine (``cache=True``).

Parallel kernels run on Numba's OpenMP threading layer where the system has libgomp, else
on its workqueue layer (NUMBA_THREADING_LAYER overrides). A convolution launches a dozen
short parallel regions per batch: OpenMP's workers wait for the next one spinning, where
workqueue's sleep and are woken each time, which made the seed's Conv1D 2.5x slower. The
spinning no longer starves BLAS, because BLAS inside kernels runs single-threaded
(builder/threads.py). TBB comes last (Numba wants all three named): the layers measured are
OpenMP and workqueue. Workqueue must not be entered from two threads at once; builder
serialises its compute calls (builder/threads.py).
"""

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ and "NUMBA_THREADING_LAYER_PRIORITY" not in os.environ:
    # Numba rebuilds its config from the environment whenever a NUMBA_* variable changes, so
    # the choice lives there too; the assignment covers a config read before this import.
    os.environ["NUMBA_THREADING_LAYER_PRIORITY"] = "omp workqueue tbb"
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "workqueue", "tbb"]
