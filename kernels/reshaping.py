"""Copy kernels of the small reshaping layers, on channels-last float32 arrays, parallel over
the batch: zero padding and its crop, nearest upsampling and its block sums, vector repetition
and its sum, and whole-channel (spatial) dropout.

The 1-D layers use the 2-D kernels on (batch, 1, steps, channels) views.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def zero_pad_2d(x, top, left, y):
    """y (n, h + top + bottom, w + left + right, c) = x (n, h, w, c) framed by zeros."""
    n, h, w, c = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    zero = np.float32(0.0)
    for s in prange(n):
        for i in range(out_h):
            src = i - top
            if src < 0 or src >= h:
                for j in range(out_w):
                    for k in range(c):
                        y[s, i, j, k] = zero
                continue
            for j in range(left):
                for k in range(c):
                    y[s, i, j, k] = zero
            for j in range(w):
                for k in range(c):
                    y[s, i, left + j, k] = x[s, src, j, k]
            for j in range(left + w, out_w):
                for k in range(c):
                    y[s, i, j, k] = zero


@njit(cache=True, nogil=True, parallel=True)
def crop_2d(dy, top, left, dx):
    """dx (n, h, w, c) = the window of dy starting at (top, left): the gradient of zero padding."""
    n, h, w, c = dx.shape
    for s in prange(n):
        for i in range(h):
            for j in range(w):
                for k in range(c):
                    dx[s, i, j, k] = dy[s, top + i, left + j, k]


@njit(cache=True, nogil=True, parallel=True)
def upsample_nearest_2d(x, size_h, size_w, y):
    """y (n, h * size_h, w * size_w, c): every pixel of x (n, h, w, c) repeated in a block."""
    n, h, w, c = x.shape
    for s in prange(n):
        for i in range(h * size_h):
            src_i = i // size_h
            for j in range(w * size_w):
                src_j = j // size_w
                for k in range(c):
                    y[s, i, j, k] = x[s, src_i, src_j, k]


@njit(cache=True, nogil=True, parallel=True)
def upsample_nearest_2d_backward(dy, size_h, size_w, dx):
    """dx (n, h, w, c): each pixel's gradient is the sum of dy over the block it was copied to."""
    n, h, w, c = dx.shape
    for s in prange(n):
        for i in range(h):
            for j in range(w):
                for k in range(c):
                    dx[s, i, j, k] = np.float32(0.0)
                for a in range(size_h):
                    for b in range(size_w):
                        for k in range(c):
                            dx[s, i, j, k] += dy[s, i * size_h + a, j * size_w + b, k]


@njit(cache=True, nogil=True, parallel=True)
def repeat_vector(x, y):
    """y (n, times, features) = x (n, features) repeated `times` times along a new axis."""
    n, times, features = y.shape
    for s in prange(n):
        for t in range(times):
            for f in range(features):
                y[s, t, f] = x[s, f]


@njit(cache=True, nogil=True, parallel=True)
def repeat_vector_backward(dy, dx):
    """dx (n, features) = dy (n, times, features) summed over the repeats."""
    n, times, features = dy.shape
    for s in prange(n):
        for f in range(features):
            dx[s, f] = np.float32(0.0)
        for t in range(times):
            for f in range(features):
                dx[s, f] += dy[s, t, f]


@njit(cache=True, nogil=True, parallel=True)
def channel_dropout(x, uniform, rate, y):
    """y (n, positions, c) = x / (1 - rate) on the channels where uniform (n, c) >= rate, else 0:
    one draw per sample and channel drops the channel at every position (spatial dropout).
    The same call with dy for x gives the gradient."""
    n, positions, c = x.shape
    scale = np.float32(1.0 / (1.0 - rate))
    zero = np.float32(0.0)
    for s in prange(n):
        for p in range(positions):
            for k in range(c):
                y[s, p, k] = x[s, p, k] * scale if uniform[s, k] >= rate else zero
