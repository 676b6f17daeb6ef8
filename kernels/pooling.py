"""Pooling on channels-last float32 arrays, parallel over the batch.

The windowed kernels are 2-D (a 1-D layer passes (batch, 1, steps, channels) views); `window`
is (pool_h, pool_w, stride_h, stride_w, pad_top, pad_left). Padded positions take no part:
max pooling ignores them and average pooling divides by the number of input elements in the
window, as TensorFlow does. Max pooling records, per output element, the flat index
(row * width + column) of the input element it took (the first maximum in window order, NaN
winning as in PyTorch), and backward scatters through it. The global kernels work on
(batch, positions, channels) views.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def max_pool_forward(x, window, y, argmax):
    """y (n, out_h, out_w, c) = window maxima of x (n, h, w, c); argmax (int32, like y)
    = the flat spatial index of each maximum.

    Channels innermost, on 1-D views, so that each window position is one vectorised pass
    over the channels (channel by channel over the window ran 6x slower).
    """
    ph, pw, sh, sw, pad_top, pad_left = window
    n, h, w, c = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for r in prange(n * out_h):
        s = r // out_h
        i = r - s * out_h
        p0 = max(i * sh - pad_top, 0)
        p1 = min(i * sh - pad_top + ph, h)
        for j in range(out_w):
            q0 = max(j * sw - pad_left, 0)
            q1 = min(j * sw - pad_left + pw, w)
            best = y[s, i, j]
            where = argmax[s, i, j]
            first = x[s, p0, q0]
            for k in range(c):
                best[k] = first[k]
                where[k] = p0 * w + q0
            for p in range(p0, p1):
                for q in range(q0, q1):
                    if p == p0 and q == q0:
                        continue
                    here = p * w + q
                    values = x[s, p, q]
                    for k in range(c):
                        v = values[k]
                        b = best[k]
                        if v > b or (v != v and b == b):
                            best[k] = v
                            where[k] = here


@njit(cache=True, nogil=True, parallel=True)
def max_pool_backward(dy, argmax, dx):
    """dx (n, h, w, c): each dy element added at the input position its maximum came from."""
    n, h, w, c = dx.shape
    out_h, out_w = dy.shape[1], dy.shape[2]
    for s in prange(n):
        flat = dx[s].reshape(h * w * c)
        for e in range(h * w * c):
            flat[e] = 0.0
        for i in range(out_h):
            for j in range(out_w):
                grads = dy[s, i, j]
                wheres = argmax[s, i, j]
                for k in range(c):
                    flat[wheres[k] * c + k] += grads[k]


@njit(cache=True, nogil=True, parallel=True)
def avg_pool_forward(x, window, y):
    """y (n, out_h, out_w, c) = window means of x (n, h, w, c) over the unpadded elements."""
    ph, pw, sh, sw, pad_top, pad_left = window
    n, h, w, c = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for r in prange(n * out_h):
        s = r // out_h
        i = r - s * out_h
        p0 = max(i * sh - pad_top, 0)
        p1 = min(i * sh - pad_top + ph, h)
        for j in range(out_w):
            q0 = max(j * sw - pad_left, 0)
            q1 = min(j * sw - pad_left + pw, w)
            for k in range(c):
                y[s, i, j, k] = 0.0
            for p in range(p0, p1):
                for q in range(q0, q1):
                    for k in range(c):
                        y[s, i, j, k] += x[s, p, q, k]
            inv = np.float32(1.0) / np.float32((p1 - p0) * (q1 - q0))
            for k in range(c):
                y[s, i, j, k] *= inv


@njit(cache=True, nogil=True)
def _first_window(position, pad, pool, stride):
    """The first output index whose window (start = index*stride - pad) reaches `position`."""
    reach = position + pad - pool + 1
    return 0 if reach <= 0 else (reach + stride - 1) // stride


@njit(cache=True, nogil=True, parallel=True)
def avg_pool_backward(dy, window, dx):
    """dx (n, h, w, c): each input element gathers dy / count from every window holding it."""
    ph, pw, sh, sw, pad_top, pad_left = window
    n, h, w, c = dx.shape
    out_h, out_w = dy.shape[1], dy.shape[2]
    for r in prange(n * h):
        s = r // h
        p = r - s * h
        i0 = _first_window(p, pad_top, ph, sh)
        i1 = min((p + pad_top) // sh + 1, out_h)
        for q in range(w):
            j0 = _first_window(q, pad_left, pw, sw)
            j1 = min((q + pad_left) // sw + 1, out_w)
            for k in range(c):
                dx[s, p, q, k] = 0.0
            for i in range(i0, i1):
                rows = min(i * sh - pad_top + ph, h) - max(i * sh - pad_top, 0)
                for j in range(j0, j1):
                    cols = min(j * sw - pad_left + pw, w) - max(j * sw - pad_left, 0)
                    inv = np.float32(1.0) / np.float32(rows * cols)
                    for k in range(c):
                        dx[s, p, q, k] += dy[s, i, j, k] * inv


@njit(cache=True, nogil=True, parallel=True)
def global_avg_forward(x, y):
    """y (n, c) = the mean of x (n, positions, c) over its positions."""
    n, length, c = x.shape
    inv = np.float32(1.0) / np.float32(length)
    for s in prange(n):
        for k in range(c):
            y[s, k] = 0.0
        for t in range(length):
            for k in range(c):
                y[s, k] += x[s, t, k]
        for k in range(c):
            y[s, k] *= inv


@njit(cache=True, nogil=True, parallel=True)
def global_avg_backward(dy, dx):
    """dx (n, positions, c) = dy (n, c) / positions at every position."""
    n, length, c = dx.shape
    inv = np.float32(1.0) / np.float32(length)
    for s in prange(n):
        for t in range(length):
            for k in range(c):
                dx[s, t, k] = dy[s, k] * inv


@njit(cache=True, nogil=True, parallel=True)
def global_max_forward(x, y, argmax):
    """y (n, c) = the maximum of x (n, positions, c) over its positions; argmax (int32,
    like y) = the position of the first maximum."""
    n, length, c = x.shape
    for s in prange(n):
        for k in range(c):
            y[s, k] = x[s, 0, k]
            argmax[s, k] = 0
        for t in range(1, length):
            for k in range(c):
                v = x[s, t, k]
                best = y[s, k]
                if v > best or (v != v and best == best):
                    y[s, k] = v
                    argmax[s, k] = t


@njit(cache=True, nogil=True, parallel=True)
def global_max_backward(dy, argmax, dx):
    """dx (n, positions, c): dy at each maximum's position, zeros elsewhere."""
    n, length, c = dx.shape
    for s in prange(n):
        for t in range(length):
            for k in range(c):
                dx[s, t, k] = 0.0
        for k in range(c):
            dx[s, argmax[s, k], k] = dy[s, k]
