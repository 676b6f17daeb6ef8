"""Embedding lookup on the GPU: the twin of kernels/embedding.py. Indices arrive as
integer-valued float32; the check and conversion run on the device, and only the position
of the first bad value (or -1) comes back. One thread per value or output element; the
backward scatter-adds with atomics (repeated indices accumulate, in any order)."""

import numpy as np
from numba import cuda

from kernels.cuda.launch import blocks_for


@cuda.jit
def _indices_kernel(x, vocabulary, ids, first_bad):
    n = cuda.grid(1)
    if n < x.shape[0]:
        v = x[n]
        if v >= 0.0 and v < vocabulary:
            ids[n] = int(v)
        else:
            cuda.atomic.min(first_bad, 0, n)


@cuda.jit
def _gather_kernel(ids, table, out):
    e = cuda.grid(1)
    if e < out.size:
        n, d = e // out.shape[1], e % out.shape[1]
        out[n, d] = table[ids[n], d]


@cuda.jit
def _scatter_add_kernel(ids, dy, dtable):
    e = cuda.grid(1)
    if e < dy.size:
        n, d = e // dy.shape[1], e % dy.shape[1]
        cuda.atomic.add(dtable, (ids[n], d), dy[n, d])


def embedding_indices(x, vocabulary, ids, first_bad):
    """ids (int32) = int(x) for every value of x (flat); returns the position of the first
    value outside [0, vocabulary) (NaN included), or -1 when all are valid. `first_bad` is a
    one-element int32 device array the caller owns (its scratch)."""
    size = x.shape[0]
    first_bad.copy_to_device(np.array([size], np.int32))
    _indices_kernel[blocks_for(size), 128](x, np.float64(vocabulary), ids, first_bad)
    bad = int(first_bad.copy_to_host()[0])
    return -1 if bad == size else bad


def embedding_forward(ids, table, out):
    """out[n] = table[ids[n]]; ids must be valid (see `embedding_indices`)."""
    _gather_kernel[blocks_for(out.size), 128](ids, table, out)


def embedding_backward(ids, dy, dtable):
    """dtable = 0, then dtable[ids[n]] += dy[n]."""
    dtable[:] = 0.0
    _scatter_add_kernel[blocks_for(dy.size), 128](ids, dy, dtable)
