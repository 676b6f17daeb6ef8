"""Convolution on channels-last float32 arrays: im2col + BLAS, fused bias and activation.

Every convolution is a 2-D one here (a 1-D layer passes (batch, 1, steps, channels) views and
a (1, k, in, out) kernel). `window` is the tuple (kh, kw, stride_h, stride_w, dilation_h,
dilation_w, pad_top, pad_left); positions outside the input read as zeros.

im2col + one GEMM per chunk of samples measured faster than direct Numba loops for the seed's
shapes (VGG-like 100x100x3, Conv1D over 100 channels). The batch is cut into chunks whose
columns fit `COLUMNS_BUDGET` bytes, which bounds the column buffer (full-batch columns of the
VGG-like's second layer take 340 MB); backward walks the chunks last to first so that the
last chunk's columns, still in the buffer from forward, are not rebuilt (with one chunk,
nothing is).
"""

import numpy as np
from numba import njit, prange

from . import activations as act_ids
from .activations import activation_backward, bias_activation_forward

COLUMNS_BUDGET = 32 << 20
ROW_BLOCK = 2048

# Activations whose derivative `scalar_derivative` gets right from the output alone (given as
# z too): their output may overwrite the pre-activation, saving a buffer as big as the output.
_OUTPUT_DETERMINED = frozenset((
    act_ids.LINEAR, act_ids.RELU, act_ids.SIGMOID, act_ids.TANH, act_ids.SOFTMAX, act_ids.ELU,
    act_ids.SELU, act_ids.LEAKY_RELU, act_ids.EXPONENTIAL,
))


def output_determined(act):
    """Whether y = act(z) may be computed in place over z (backward then passes y as z)."""
    return act in _OUTPUT_DETERMINED


def chunk_samples(batch, rows_per_sample, row_width):
    """Samples per chunk: as many as fit COLUMNS_BUDGET bytes of columns, at least one."""
    per_sample = rows_per_sample * row_width * 4
    return max(1, min(batch, COLUMNS_BUDGET // max(per_sample, 1)))


@njit(cache=True)
def row_blocks(rows):
    """How many ROW_BLOCK-row blocks the parallel bias/activation kernels split `rows` into."""
    return (rows + ROW_BLOCK - 1) // ROW_BLOCK


@njit(cache=True, parallel=True)
def im2col(x, window, out_h, out_w, cols):
    """cols (n*out_h*out_w, kh*kw*c): row r holds the receptive field of output pixel r,
    ordered (kh, kw, c) as the kernel's rows, zeros where it reaches into the padding."""
    kh, kw, sh, sw, dh, dw, pad_top, pad_left = window
    n, h, w, c = x.shape
    zero = np.float32(0.0)
    for r in prange(n * out_h):
        s = r // out_h
        i = r - s * out_h
        for j in range(out_w):
            row = r * out_w + j
            col = 0
            for a in range(kh):
                p = i * sh + a * dh - pad_top
                for b in range(kw):
                    q = j * sw + b * dw - pad_left
                    if p < 0 or p >= h or q < 0 or q >= w:
                        for k in range(c):
                            cols[row, col + k] = zero
                    else:
                        for k in range(c):
                            cols[row, col + k] = x[s, p, q, k]
                    col += c


@njit(cache=True, parallel=True)
def col2im(dcols, window, out_h, out_w, dx):
    """dx (n, h, w, c) = the sum, for every input pixel, of the entries of dcols that im2col
    copied from it: the adjoint of im2col, gathered per input row so threads never collide."""
    kh, kw, sh, sw, dh, dw, pad_top, pad_left = window
    n, h, w, c = dx.shape
    for r in prange(n * h):
        s = r // h
        p = r - s * h
        for q in range(w):
            for k in range(c):
                dx[s, p, q, k] = 0.0
            for a in range(kh):
                t = p + pad_top - a * dh
                if t < 0 or t % sh != 0 or t // sh >= out_h:
                    continue
                i = t // sh
                for b in range(kw):
                    u = q + pad_left - b * dw
                    if u < 0 or u % sw != 0 or u // sw >= out_w:
                        continue
                    row = (s * out_h + i) * out_w + u // sw
                    col = (a * kw + b) * c
                    for k in range(c):
                        dx[s, p, q, k] += dcols[row, col + k]


@njit(cache=True, parallel=True)
def bias_activation_rows(z, bias, act, y):
    """y = act(z + bias) over a 2-D (rows, channels) view, ROW_BLOCK rows per task; z becomes
    z + bias. bias may be empty (no bias)."""
    rows = z.shape[0]
    for blk in prange(row_blocks(rows)):
        r0 = blk * ROW_BLOCK
        r1 = min(rows, r0 + ROW_BLOCK)
        bias_activation_forward(z[r0:r1], bias, act, y[r0:r1])


@njit(cache=True, parallel=True)
def activation_backward_rows(dy, z, y, act, dz, dbias_parts):
    """dz = dy * act'(z) over 2-D views, ROW_BLOCK rows per task. dbias_parts is
    (row_blocks(rows), channels) and gets each block's column sums of dz, or
    (row_blocks(rows), 0) when there is no bias."""
    rows = dy.shape[0]
    for blk in prange(row_blocks(rows)):
        r0 = blk * ROW_BLOCK
        r1 = min(rows, r0 + ROW_BLOCK)
        activation_backward(dy[r0:r1], z[r0:r1], y[r0:r1], act, dz[r0:r1], dbias_parts[blk])


def _chunks(batch, chunk):
    return [(s0, min(batch, s0 + chunk)) for s0 in range(0, batch, chunk)]


def conv_forward(x, kernel2d, bias, act, window, cols, z, y):
    """z = conv(x, kernel) + bias and y = act(z), both (n, out_h, out_w, filters); y may be z
    when output_determined(act).

    kernel2d is the kernel as (kh*kw*c, filters); cols is a (samples_per_chunk*out_h*out_w,
    kh*kw*c) work buffer (see chunk_samples) that keeps the last chunk's columns for backward.
    """
    n, out_h, out_w, filters = z.shape
    per_sample = out_h * out_w
    z2 = z.reshape(-1, filters)
    for s0, s1 in _chunks(n, cols.shape[0] // per_sample):
        part = cols[: (s1 - s0) * per_sample]
        im2col(x[s0:s1], window, out_h, out_w, part)
        np.dot(part, kernel2d, out=z2[s0 * per_sample : s1 * per_sample])
    bias_activation_rows(z2, bias, act, y.reshape(-1, filters))


def conv_backward(x, kernel2d, z, y, act, window, cols, dy, dz, dbias_parts, dkernel_part,
                  dkernel2d, dbias, dx):
    """Write dkernel2d (kh*kw*c, filters), dbias (filters,) unless it is empty, and dx (like x)
    unless it is None, after conv_forward filled z, y and cols for the same x.

    dy, dz are (n, out_h, out_w, filters); dbias_parts is (row_blocks(n*out_h*out_w),
    filters or 0) and dkernel_part is like dkernel2d: work buffers.
    """
    n, out_h, out_w, filters = z.shape
    per_sample = out_h * out_w
    dz2 = dz.reshape(-1, filters)
    activation_backward_rows(dy.reshape(-1, filters), z.reshape(-1, filters), y.reshape(-1, filters),
                             act, dz2, dbias_parts)
    if dbias.shape[0]:
        np.sum(dbias_parts, axis=0, out=dbias)
    chunks = _chunks(n, cols.shape[0] // per_sample)
    for index, (s0, s1) in enumerate(reversed(chunks)):
        part = cols[: (s1 - s0) * per_sample]
        if index > 0:
            im2col(x[s0:s1], window, out_h, out_w, part)
        dz_part = dz2[s0 * per_sample : s1 * per_sample]
        if index == 0:
            np.dot(part.T, dz_part, out=dkernel2d)
        else:
            np.dot(part.T, dz_part, out=dkernel_part)
            dkernel2d += dkernel_part
        if dx is not None:
            np.dot(dz_part, kernel2d.T, out=part)
            col2im(part, window, out_h, out_w, dx[s0:s1])
