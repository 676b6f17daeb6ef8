"""Matrix products of the training loop, split by rows over Numba's threads.

Every thread of a training run is Numba's: its kernels call single-threaded BLAS
(builder/threads.py), and the big products of Dense and recurrent layers run here, each
thread on its own block of rows. numpy's own threaded BLAS is left to small products, which
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


def partials_shape(shape) -> tuple:
    """Shape of summed_products's per-thread partial sums for an output of `shape`."""
    return (numba.get_num_threads(), *shape)


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


def summed_products(a, b, out, parts):
    """out = a^T b (a and b with the same rows); parts is partials_shape(out.shape)."""
    size = a.shape[0] * a.shape[1] * b.shape[1]
    if size <= SMALL_PRODUCT:
        np.dot(a.T, b, out=out)
    elif size < PARALLEL_FROM:
        _serial_dot(_rows(a).T, _rows(b), out)
    else:
        _summed_products(_rows(a), _rows(b), parts, out)


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
def _summed_products(a, b, parts, out):
    """Each thread multiplies its share of the rows into parts[thread]; the partials are then
    summed, in parallel over out's rows."""
    blocks = parts.shape[0]
    rows = a.shape[0]
    for block in prange(blocks):
        r0, r1 = block * rows // blocks, (block + 1) * rows // blocks
        if r1 > r0:
            np.dot(a[r0:r1].T, b[r0:r1], parts[block])
        else:
            parts[block] = 0.0
    n, m = out.shape
    for i in prange(n):
        for j in range(m):
            total = parts[0, i, j]
            for k in range(1, blocks):
                total += parts[k, i, j]
            out[i, j] = total
