"""Numba compute kernels over float32 C-contiguous arrays.

Kernels know nothing of layers, models or files: each takes arrays and writes into output
buffers it is handed. CPU kernels are compiled once per machine (``cache=True``).

Parallel kernels run on Numba's workqueue threading layer unless NUMBA_THREADING_LAYER says
otherwise: OpenMP workers spin between parallel regions and starve BLAS's threads (Conv1D
training was 15x slower on 2 cores), and whether OpenMP can be told to sleep depends on which
library imported it first. Workqueue must not be entered from two threads at once; builder
serialises its compute calls for that (builder/threads.py).
"""

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
