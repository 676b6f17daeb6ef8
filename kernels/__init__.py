"""Numba compute kernels over float32 C-contiguous arrays.

Kernels know nothing of layers, models or files: each takes arrays and writes into output
buffers it is handed. CPU kernels are compiled once per machine (``cache=True``).
"""
