"""Matrix products of the training loop, split over Numba's threads.

Every thread of a training run is Numba's: its kernels call single-threaded BLAS
(builder/threads.py), and the big products of Dense and recurrent layers run here, each
thread reading its own part of the bigger operand: mostly its block of a's and the output's
rows; for a weight gradient a^T b, a copy of its columns of a (so that no per-thread partial
sums need memory of the weight's size); where b is the bigger one (a wide Dense kernel on a
small batch), its columns or rows of b. numpy's own threaded BLAS is left to small products,
which OpenBLAS keeps on one thread anyway: beside OpenMP kernels, whose workers spin between
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
PARTIALS_FLOATS = 1 << 20
"""The most floats (all threads together) of the per-thread sums `blocked_dot` may use."""


def blocked_dot(a, b, out, bias=EMPTY):
    """out = a @ b (+ bias unless empty); a, b and out 2-D, out C-contiguous."""
    if bias.shape[0] not in (0, out.shape[1]):
        raise ValueError(f"a bias of {bias.shape[0]} values for an output of {out.shape[1]} columns")
    size = a.shape[0] * a.shape[1] * b.shape[1]
    if size >= PARALLEL_FROM:
        _parallel_dot(a, b, out, bias, numba.get_num_threads())
        return
    if size <= SMALL_PRODUCT:
        np.dot(a, b, out=out)
    else:
        _serial_dot(_contiguous(a), _contiguous(b), out)
    if bias.shape[0]:
        out += bias


def _parallel_dot(a, b, out, bias, threads):
    """Each thread reads its own part of the bigger operand. Mostly that is a (a batch of
    rows): the threads split its rows and out's. Where b is bigger (a Dense layer of 30,976
    inputs on a batch of 32, whose products only stream the kernel from memory), they split
    b: its columns when b is a transposed kernel, else its rows (the inner dimension), each
    thread then summing into its own copy of out (kept small: at most PARTIALS_FLOATS)."""
    if b.shape[1] <= a.shape[0]:
        _blocked_dot(_rows(a), _contiguous(b), bias, out, threads)
    elif b.flags.f_contiguous:
        _column_split_dot(_contiguous(a), b.T, bias, out, threads)
    elif out.size * threads <= PARTIALS_FLOATS:
        _inner_split_dot(a, _rows(b), bias, out, np.empty((threads, *out.shape), dtype=out.dtype))
    else:
        _blocked_dot(_rows(a), _contiguous(b), bias, out, threads)


def summed_products(a, b, out):
    """out = a^T b (a and b with the same rows, out C-contiguous)."""
    size = a.shape[0] * a.shape[1] * b.shape[1]
    if size <= SMALL_PRODUCT:
        np.dot(a.T, b, out=out)
    elif size < PARALLEL_FROM:
        _serial_dot(_rows(a).T, _rows(b), out)
    else:
        a = _rows(a)
        _split_products(a, _no_columns(a), _rows(b), out, _no_rows(out), numba.get_num_threads())


def summed_products_pair(a, a2, b, out, out2):
    """out = a^T b and out2 = a2^T b (a recurrent layer's kernel and recurrent-kernel
    gradients, which share b): in one parallel region, the threads splitting the columns of
    a and a2 together, so each does an equal share of both (two regions cost 20% more)."""
    if a.shape[0] * (a.shape[1] + a2.shape[1]) * b.shape[1] < PARALLEL_FROM:
        summed_products(a, b, out)
        summed_products(a2, b, out2)
    else:
        _split_products(_rows(a), _rows(a2), _rows(b), out, out2, numba.get_num_threads())


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
    has_bias = bias.shape[0] > 0
    for block in prange(blocks):
        r0, r1 = block * rows // blocks, (block + 1) * rows // blocks
        if r1 > r0:
            np.dot(a[r0:r1], b, out[r0:r1])
            if has_bias:
                for r in range(r0, r1):
                    for j in range(cols):
                        out[r, j] += bias[j]


@njit(cache=True, nogil=True, parallel=True)
def _column_split_dot(a, b_t, bias, out, blocks):
    """out = a @ b_t.T, each thread on its own rows of b_t (columns of out)."""
    columns = out.shape[1]
    has_bias = bias.shape[0] > 0
    for block in prange(blocks):
        j0, j1 = block * columns // blocks, (block + 1) * columns // blocks
        if j1 > j0:
            part = np.dot(a, b_t[j0:j1].T)
            for r in range(out.shape[0]):
                for j in range(j0, j1):
                    out[r, j] = part[r, j - j0] + bias[j] if has_bias else part[r, j - j0]


@njit(cache=True, nogil=True, parallel=True)
def _inner_split_dot(a, b, bias, out, partials):
    """out = a @ b, each thread multiplying its own rows of b (and columns of a) into its own
    partials[thread]; then the partials summed, over out's rows in parallel."""
    blocks, inner = partials.shape[0], a.shape[1]
    for block in prange(blocks):
        k0, k1 = block * inner // blocks, (block + 1) * inner // blocks
        if k1 > k0:
            np.dot(np.ascontiguousarray(a[:, k0:k1]), b[k0:k1], partials[block])
        else:
            partials[block][...] = 0.0
    has_bias = bias.shape[0] > 0
    for r in prange(out.shape[0]):
        for j in range(out.shape[1]):
            total = bias[j] if has_bias else np.float32(0.0)
            for block in range(blocks):
                total += partials[block, r, j]
            out[r, j] = total


def _no_columns(a):
    return np.empty((a.shape[0], 0), dtype=a.dtype)


def _no_rows(out):
    return np.empty((0, out.shape[1]), dtype=out.dtype)


@njit(cache=True, nogil=True, parallel=True)
def _split_products(a, a2, b, out, out2, blocks):
    """out = a^T b and out2 = a2^T b, as the rows of one product [a a2]^T b: each thread
    computes its own rows from a contiguous copy of its columns of [a a2] (no partial sums
    to keep or add up)."""
    split, columns = a.shape[1], a.shape[1] + a2.shape[1]
    for block in prange(blocks):
        c0, c1 = block * columns // blocks, (block + 1) * columns // blocks
        width = c1 - c0
        if width == 0:
            continue
        first = max(min(c1, split) - c0, 0)  # how many of the block's columns are a's
        start2 = max(c0 - split, 0)  # and a2's first one, if it has any
        part = np.empty((a.shape[0], width), dtype=a.dtype)
        part[:, :first] = a[:, c0:c0 + first]
        part[:, first:] = a2[:, start2:start2 + width - first]
        if first == width:  # the block's rows are out's (or out2's) alone: written in place
            np.dot(part.T, b, out[c0:c1])
        elif first == 0:
            np.dot(part.T, b, out2[start2:start2 + width])
        else:  # across both: a's last columns, a2's first
            product = np.dot(part.T, b)
            out[c0:split] = product[:first]
            out2[:c1 - split] = product[first:]
