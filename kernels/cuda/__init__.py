"""Numba CUDA twins of the CPU kernels (needs the optional `numba-cuda` package).

Each module mirrors a CPU module of `kernels/`: the launch functions take device arrays (or
host arrays, which Numba copies) and write into the output buffers they are handed, float32
throughout. Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1) runs them without a GPU.
"""
