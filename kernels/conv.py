"""Convolution on channels-last float32 arrays: blocked im2col + BLAS, fused bias and activation.

Every convolution is a 2-D one here (a 1-D layer passes (batch, 1, steps, channels) views and
a (1, k, in, out) kernel). `window` is the tuple (kh, kw, stride_h, stride_w, dilation_h,
dilation_w, pad_top, pad_left); positions outside the input read as zeros.

The output pixels (flattened over batch, rows, columns) are cut into blocks small enough that
a block's columns (pixels x kh*kw*channels) stay in a core's L2 cache; each worker thread
gathers a block's columns into its own slice of `scratch`, multiplies them by the kernel with
a single-threaded BLAS call (builder/threads.py caps the BLAS that Numba calls) and applies
bias and activation while the block is still in cache. Measured on the VGG-like's layers this
ran 1.5-2.5x faster than materialising the columns of whole chunks of samples and calling a
two-threaded BLAS once per chunk, and it needs no column buffer.

Backward writes dz = dy * act'(z) over z (which forward filled and nothing reads again), sums
each worker's dkernel = columns^T dz over its blocks, and computes dx as a gather of dz through
the transposed kernel (the adjoint of im2col, with the sums done by the GEMM), so no scatter
and no thread ever writes where another does.
"""

import numba
import numpy as np
from numba import njit, prange

from . import activations as act_ids
from .activations import activation_backward, bias_activation_forward
from .blas import dot_add

SMALL_GEMM = 1_000_000
MIN_SMALL_ROWS = 16
BLOCK_FLOATS = 64 << 10

# Activations whose derivative `scalar_derivative` gets right from the output alone (given as
# z too): their output may overwrite the pre-activation, saving a buffer as big as the output.
_OUTPUT_DETERMINED = frozenset((
    act_ids.LINEAR, act_ids.RELU, act_ids.SIGMOID, act_ids.TANH, act_ids.SOFTMAX, act_ids.ELU,
    act_ids.SELU, act_ids.LEAKY_RELU, act_ids.EXPONENTIAL,
))


def output_determined(act):
    """Whether y = act(z) may be computed in place over z (backward then passes y as z)."""
    return act in _OUTPUT_DETERMINED


def block_rows(row_width, columns, scratch=None):
    """Rows per block of a (rows, row_width) @ (row_width, columns) product: as many as keep
    rows * row_width * columns within SMALL_GEMM, where OpenBLAS multiplies without packing
    (15-20% faster for the VGG-like's layers), unless that is under MIN_SMALL_ROWS rows; else
    BLOCK_FLOATS of columns. Never more than `scratch` (workers, floats) holds."""
    rows = SMALL_GEMM // (row_width * columns)
    if rows < MIN_SMALL_ROWS:
        rows = BLOCK_FLOATS // row_width
    if scratch is not None:
        rows = min(rows, scratch.shape[1] // row_width)
    return max(rows, 1)


def scratch_shape(out_pixels, row_width, filters, in_pixels=0, channels=0):
    """(workers, floats) for the per-thread column blocks of forward and dkernel (out_pixels
    rows of row_width = taps * channels) and of dx (in_pixels rows of taps * filters)."""
    taps = row_width // channels if channels else 0
    need = min(out_pixels, block_rows(row_width, filters)) * row_width
    if in_pixels:
        need = max(need, min(in_pixels, block_rows(taps * filters, channels)) * taps * filters)
    return numba.get_num_threads(), need


def partials_shapes(row_width, filters, use_bias, workers=None):
    """Shapes of conv_backward's dkernel_parts and dbias_parts: per worker (as many as the
    scratch has slices; by default Numba's thread count) a running sum of the kernel's
    gradient, and of the bias's with one block's share beside it (0 columns without a bias)."""
    workers = numba.get_num_threads() if workers is None else workers
    return (workers, row_width, filters), (workers, 2, filters if use_bias else 0)


@njit(cache=True, nogil=True)
def _bias_activation(z, bias, act, y, in_place):
    """bias_activation_forward(z, bias, act, y); in_place says y is z. Relu and linear in
    place add the bias and clip in one pass over 1-D row views: a convolution's output is
    large (39 MB a batch for the VGG-like's first layer), and the generic kernel's separate
    bias pass reads and writes it twice."""
    rows, cols = z.shape
    has_bias = bias.shape[0] == cols
    if in_place and (act == act_ids.RELU or act == act_ids.LINEAR):
        floor = np.float32(0.0) if act == act_ids.RELU else np.float32(-np.inf)
        for i in range(rows):
            row = z[i]
            if has_bias:
                for j in range(cols):
                    row[j] = max(row[j] + bias[j], floor)
            else:
                for j in range(cols):
                    row[j] = max(row[j], floor)
    else:
        bias_activation_forward(z, bias, act, y)


@njit(cache=True, nogil=True)
def _activation_grad(dy, z, y, act, dbias):
    """dz = dy * act'(z) written over z, and dbias (unless empty) = column sums of dz. For relu
    and linear z may hold the output (same sign); their loops run here on 1-D row views
    (5-10x faster than activation_backward's over aliased arrays)."""
    rows, cols = z.shape
    if act == act_ids.RELU or act == act_ids.LINEAR:
        relu = act == act_ids.RELU
        want_bias = dbias.shape[0] == cols
        for j in range(dbias.shape[0]):
            dbias[j] = 0.0
        for i in range(rows):
            grad, row = dy[i], z[i]
            for j in range(cols):
                g = grad[j]
                if relu and not row[j] > 0.0:
                    g = np.float32(0.0)
                row[j] = g
            if want_bias:
                for j in range(cols):
                    dbias[j] += row[j]
    else:
        activation_backward(dy, z, y, act, z, dbias)


@njit(cache=True, nogil=True)
def _block_range(worker, workers, blocks):
    return worker * blocks // workers, (worker + 1) * blocks // workers


@njit(cache=True, nogil=True, inline="always")
def _copy(src, dst):
    """dst[:] = src[:len(dst)] for 1-D views (loops indexed from 0 vectorise; index arithmetic
    on 2-D arrays did not, and gathers ran 4x slower)."""
    for k in range(dst.shape[0]):
        dst[k] = src[k]


@njit(cache=True, nogil=True, inline="always")
def _zero(dst):
    for k in range(dst.shape[0]):
        dst[k] = 0.0


@njit(cache=True, nogil=True)
def gather_patches(x, window, out_h, out_w, r0, r1, cols):
    """cols[:r1 - r0] = the receptive fields of output pixels r0..r1 (flat over n*out_h*out_w),
    each ordered (kh, kw, c) as the kernel's rows, zeros where it reaches into the padding.

    Where a window row lies inside the input and is undilated, its kw*c values are one
    contiguous run of x, copied in one loop.
    """
    kh, kw, sh, sw, dh, dw, pad_top, pad_left = window
    n, h, w, c = x.shape
    x3 = x.reshape(n, h, w * c)
    span = kw * c
    s = r0 // (out_h * out_w)
    i = r0 // out_w - s * out_h
    j = r0 % out_w - 1
    for row in range(r1 - r0):
        j += 1  # the next pixel, without a division per row (it cost 1/3 of the first layer's gather)
        if j == out_w:
            j = 0
            i += 1
            if i == out_h:
                i = 0
                s += 1
        q0 = j * sw - pad_left
        contiguous = dw == 1 and q0 >= 0 and q0 + kw <= w
        for a in range(kh):
            p = i * sh + a * dh - pad_top
            dst = cols[row, a * span : (a + 1) * span]
            if p < 0 or p >= h:
                _zero(dst)
            elif contiguous:
                _copy(x3[s, p, q0 * c :], dst)
            else:
                for b in range(kw):
                    q = q0 + b * dw
                    if q < 0 or q >= w:
                        _zero(dst[b * c : (b + 1) * c])
                    else:
                        _copy(x[s, p, q], dst[b * c : (b + 1) * c])


@njit(cache=True, nogil=True)
def gather_transposed(dz, window, h, w, r0, r1, cols):
    """cols[:r1 - r0] = for input pixels r0..r1 (flat over n*h*w), the dz rows of the output
    pixels whose windows covered them, ordered (kh, kw, filters) by the tap that did, zeros
    for taps that covered no output pixel; times the kernel transposed to (kh*kw*filters, c)
    this gives dx."""
    kh, kw, sh, sw, dh, dw, pad_top, pad_left = window
    n, out_h, out_w, f = dz.shape
    plane = h * w
    for row in range(r1 - r0):
        r = r0 + row
        s = r // plane
        p = (r - s * plane) // w
        q = r - s * plane - p * w
        for a in range(kh):
            t = p + pad_top - a * dh
            i = t // sh
            row_ok = t >= 0 and i * sh == t and i < out_h
            for b in range(kw):
                u = q + pad_left - b * dw
                j = u // sw
                dst = cols[row, (a * kw + b) * f : (a * kw + b + 1) * f]
                if row_ok and u >= 0 and j * sw == u and j < out_w:
                    _copy(dz[s, i, j], dst)
                else:
                    _zero(dst)


@njit(cache=True, nogil=True, parallel=True)
def conv_forward_blocks(x, kernel2d, bias, act, window, out_h, out_w, scratch, block, z, y, in_place):
    """z = conv(x, kernel2d) + bias and y = act(z) on 2-D (n*out_h*out_w, filters) views, each
    worker on its own share of the blocks. in_place says y is z."""
    rows = z.shape[0]
    width = kernel2d.shape[0]
    workers = scratch.shape[0]
    blocks = (rows + block - 1) // block
    for worker in prange(workers):
        first, last = _block_range(worker, workers, blocks)
        for blk in range(first, last):
            r0 = blk * block
            r1 = min(rows, r0 + block)
            cols = scratch[worker, : (r1 - r0) * width].reshape(r1 - r0, width)
            gather_patches(x, window, out_h, out_w, r0, r1, cols)
            np.dot(cols, kernel2d, z[r0:r1])
            _bias_activation(z[r0:r1], bias, act, y[r0:r1], in_place)


@njit(cache=True, nogil=True, parallel=True)
def conv_weight_grads(x, z, y, act, dy, window, out_h, out_w, scratch, block, dkernel_parts, dbias_parts):
    """On 2-D (n*out_h*out_w, filters) views: dz = dy * act'(z) written over z; per worker w,
    dkernel_parts[w] = the sum over its blocks of columns^T dz (BLAS adding each block's
    product in place) and dbias_parts[w, 0] (when it has columns) that of dz's rows, with
    dbias_parts[w, 1] holding one block's share meanwhile."""
    rows = z.shape[0]
    width = dkernel_parts.shape[1]
    workers = scratch.shape[0]
    blocks = (rows + block - 1) // block
    for worker in prange(workers):
        first, last = _block_range(worker, workers, blocks)
        dkernel = dkernel_parts[worker]
        dbias, block_dbias = dbias_parts[worker, 0], dbias_parts[worker, 1]
        dkernel[:] = 0.0
        dbias[:] = 0.0
        for blk in range(first, last):
            r0 = blk * block
            r1 = min(rows, r0 + block)
            dz = z[r0:r1]
            _activation_grad(dy[r0:r1], dz, y[r0:r1], act, block_dbias)
            dbias += block_dbias
            cols = scratch[worker, : (r1 - r0) * width].reshape(r1 - r0, width)
            gather_patches(x, window, out_h, out_w, r0, r1, cols)
            dot_add(cols.T, dz, dkernel)


@njit(cache=True, nogil=True, parallel=True)
def conv_input_grad(dz, kernel_t, window, as_convolution, scratch, block, dx):
    """dx (n, h, w, c) from dz (n, out_h, out_w, filters) and the kernel transposed to
    (kh*kw*filters, c), block by block of input pixels: by gather_transposed, or, when
    as_convolution, by gather_patches (`window` and `kernel_t` then being those of the
    equivalent convolution of dz, see conv_backward)."""
    n, h, w, c = dx.shape
    dx2 = dx.reshape(n * h * w, c)
    rows = n * h * w
    width = kernel_t.shape[0]
    workers = scratch.shape[0]
    blocks = (rows + block - 1) // block
    for worker in prange(workers):
        first, last = _block_range(worker, workers, blocks)
        for blk in range(first, last):
            r0 = blk * block
            r1 = min(rows, r0 + block)
            cols = scratch[worker, : (r1 - r0) * width].reshape(r1 - r0, width)
            if as_convolution:
                gather_patches(dz, window, h, w, r0, r1, cols)
            else:
                gather_transposed(dz, window, h, w, r0, r1, cols)
            np.dot(cols, kernel_t, dx2[r0:r1])


def conv_forward(x, kernel2d, bias, act, window, scratch, z, y):
    """z = conv(x, kernel) + bias and y = act(z), both (n, out_h, out_w, filters); y may be z
    when output_determined(act). kernel2d is the kernel as (kh*kw*c, filters); scratch is
    scratch_shape(...)."""
    n, out_h, out_w, filters = z.shape
    conv_forward_blocks(x, kernel2d, bias, act, window, out_h, out_w, scratch,
                        block_rows(kernel2d.shape[0], filters, scratch), z.reshape(-1, filters), y.reshape(-1, filters),
                        y is z)


def conv_backward(x, kernel, z, y, act, window, scratch, dy, dkernel_parts, dbias_parts, kernel_t,
                  dkernel, dbias, dx):
    """Write dkernel (kh, kw, c, filters), dbias (filters,) unless it is empty, and dx (like x)
    unless it is None, after conv_forward filled z and y for the same x; z is overwritten by dz.

    dy is (n, out_h, out_w, filters); dkernel_parts, dbias_parts are partials_shapes(...) for
    scratch.shape[0] workers;
    kernel_t is a (kh*kw*filters, c) work buffer for the transposed kernel.

    With unit strides, dx is the convolution of dz, padded by the kernel's reach less the
    forward padding, with the kernel flipped and transposed: its gather copies whole window
    rows, like forward's, instead of tap by tap.
    """
    n, out_h, out_w, filters = z.shape
    kh, kw, c = kernel.shape[:3]
    if dkernel_parts.shape[0] != scratch.shape[0] or dbias_parts.shape[0] != scratch.shape[0]:
        raise ValueError("conv_backward: dkernel_parts and dbias_parts need one slice per scratch slice")
    conv_weight_grads(x, z.reshape(-1, filters), y.reshape(-1, filters), act, dy.reshape(-1, filters), window,
                      out_h, out_w, scratch, block_rows(kh * kw * c, filters, scratch), dkernel_parts, dbias_parts)
    np.sum(dkernel_parts, axis=0, out=dkernel.reshape(-1, filters))
    if dbias.shape[0]:
        np.sum(dbias_parts[:, 0], axis=0, out=dbias)
    if dx is None:
        return
    _, _, sh, sw, dh, dw, pad_top, pad_left = window
    as_convolution = sh == sw == 1
    if as_convolution:
        np.copyto(kernel_t.reshape(kh, kw, filters, c), kernel[::-1, ::-1].transpose(0, 1, 3, 2))
        window = (kh, kw, 1, 1, dh, dw, (kh - 1) * dh - pad_top, (kw - 1) * dw - pad_left)
    else:
        np.copyto(kernel_t.reshape(kh, kw, filters, c), kernel.transpose(0, 1, 3, 2))
    conv_input_grad(z, kernel_t, window, as_convolution, scratch, block_rows(kh * kw * filters, c, scratch), dx)
