"""Numba compute kernels over float32 C-contiguous arrays.

Kernels know nothing of layers, models or files: each takes arrays and writes into output
buffers it is handed. CPU kernels are compiled once per machine (``cache=True``).

Numba's OpenMP workers are told to sleep, not spin, between parallel regions: spinning
workers starve BLAS's own threads, which made Conv1D steps 10x slower on 2 cores. This must
be set before the first parallel kernel starts the OpenMP runtime, hence here.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
