"""Matrix products of the training loop, split over Numba's threads.

Every thread of a training run is Numba's: its kernels call single-threaded BLAS
(builder/threads.py), and the big products of Dense and recurrent layers run here, each
thread on its own block of the output's rows (for a weight gradient a^T b, from a copy of
its columns of a, so that no per-thread partial sums need memory of the weight's size). numpy's own threaded BLAS is left to small products, which
OpenBLAS keeps on one thread anyway: beside OpenMP kernels, whose workers spin between
parallel regions, numpy's BLAS threads and Numba's starved each other on 2 cores (a model
mixing Dense and LSTM layers trained 1.5-30x slower).
"""

import numba
import numpy as np
from numba import njit, prange

EMPTY = np.empty(0, dtype=np.float32)

SMALL_PRODUCT = 262144
"""m * k * n up to which OpenBLAS multiplies on one thread: numpy's np.dot is used as is."""
PARALLEL_FROM = 1_000_000
"""m * k * n from which the rows are split over the threads (2 MFLOP, some 20 µs on one
core); between the two, one Numba call of the single-threaded BLAS, since a parallel region
costs more than it saves there (the seed's MLP, whose 128 x 64 x 64 products sit there,
lost 30% when they were split)."""


def blocked_dot(a, b, out, bias=EMPTY):
    """out = a @ b (+ bias unless empty); a, b and out 2-D, out C-contiguous."""
    size = a.shape[0] * a.shape[1] * b.shape[1]
    if size >= PARALLEL_FROM:
        _blocked_dot(_rows(a), _contiguous(b), bias, out, numba.get_num_threads())
        return
    if size <= SMALL_PRODUCT:
        np.dot(a, b, out=out)
    else:
        _serial_dot(_contiguous(a), _contiguous(b), out)
    if bias.shape[0]:
        out += bias


def summed_products(a, b, out):
    """out = a^T b (a and b with the same rows, out C-contiguous)."""
    size = a.shape[0] * a.shape[1] * b.shape[1]
    if size <= SMALL_PRODUCT:
        np.dot(a.T, b, out=out)
    elif size < PARALLEL_FROM:
        _serial_dot(_rows(a).T, _rows(b), out)
    else:
        _split_products(_rows(a), _rows(b), out, numba.get_num_threads())


@njit(cache=True, nogil=True)
def _serial_dot(a, b, out):
    np.dot(a, b, out)


def _rows(a):
    """a as C-contiguous: the kernels slice it by rows (a copy only for an odd view)."""
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _contiguous(b):
    return b if b.flags.c_contiguous or b.flags.f_contiguous else np.ascontiguousarray(b)


@njit(cache=True, nogil=True, parallel=True)
def _blocked_dot(a, b, bias, out, blocks):
    rows, cols = out.shape
    has_bias = bias.shape[0] == cols
    for block in prange(blocks):
        r0, r1 = block * rows // blocks, (block + 1) * rows // blocks
        if r1 > r0:
            np.dot(a[r0:r1], b, out[r0:r1])
            if has_bias:
                for r in range(r0, r1):
                    for j in range(cols):
                        out[r, j] += bias[j]


@njit(cache=True, nogil=True, parallel=True)
def _split_products(a, b, out, blocks):
    """Each thread computes its own rows of out, from a contiguous copy of its columns of a
    (no partial sums to keep or add up)."""
    columns = a.shape[1]
    for block in prange(blocks):
        c0, c1 = block * columns // blocks, (block + 1) * columns // blocks
        if c1 > c0:
            np.dot(np.ascontiguousarray(a[:, c0:c1]).T, b, out[c0:c1])
