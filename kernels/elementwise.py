"""Element-wise kernels on flat float32 views: dropout's uniform draws, masks and gradients."""

import numpy as np
from numba import njit, prange

PARALLEL_DRAWS = 1 << 16  # draws from which uniform_fill splits the work over the threads
_CHUNK = 1 << 14
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def uniform_fill(out, seed):
    """out (flat float32) = uniform draws in [0, 1) with 24 random bits, draw i a function of
    (seed, i) alone (SplitMix64's output for counter i), so every thread count gives the same
    draws. A VGG-like's Dropout drew 2.4 million of them per batch with numpy's Generator
    in 4.3 ms on one core."""
    seed = np.uint64(seed)
    if out.shape[0] >= PARALLEL_DRAWS:
        _uniform_fill_parallel(out, seed)
    else:
        _uniform_range(out, seed, 0, out.shape[0])


@njit(cache=True, nogil=True)
def _uniform_range(out, seed, start, stop):
    for i in range(start, stop):
        z = seed + np.uint64(i + 1) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX_1
        z = (z ^ (z >> np.uint64(27))) * _MIX_2
        z = z ^ (z >> np.uint64(31))
        out[i] = np.float32(z >> np.uint64(40)) * np.float32(1.0 / (1 << 24))


@njit(cache=True, nogil=True, parallel=True)
def _uniform_fill_parallel(out, seed):
    n = out.shape[0]
    for chunk in prange((n + _CHUNK - 1) // _CHUNK):
        _uniform_range(out, seed, chunk * _CHUNK, min(n, (chunk + 1) * _CHUNK))


@njit(cache=True, nogil=True)
def dropout_forward(x, uniform, rate, y):
    """y = x / (1 - rate) where uniform >= rate, else 0 (Keras's inverted dropout). Serial:
    it is memory-bound, and two threads measured no faster."""
    scale = np.float32(1.0 / (1.0 - rate))
    for i in range(x.shape[0]):
        y[i] = x[i] * scale if uniform[i] >= rate else np.float32(0.0)


dropout_backward = dropout_forward  # dx = dy through the same mask and scale
