"""Convolution on the GPU by im2col + the tiled matrix product, channels-last float32.

`window` is kernels/conv.py's (kh, kw, stride_h, stride_w, dilation_h, dilation_w, pad_top,
pad_left); a 1-D layer passes (batch, 1, steps, channels) views and a (1, k, in, out) kernel.
Where the CPU kernel works in cache-sized blocks, the GPU materialises the whole column
matrix `cols` (n*out_h*out_w, kh*kw*c) that the caller hands in: memory is plentiful there
and one big product keeps the device busy. dx is col2im as a gather (one thread per input
element sums the column entries that read it), so no two threads write the same place.
"""

from numba import cuda

from kernels.cuda.elementwise import activation_backward, bias_activation_forward
from kernels.cuda.launch import blocks_for
from kernels.cuda.matmul import matmul

_BLOCK_2D = (16, 16)


@cuda.jit
def _im2col_kernel(x, window, out_h, out_w, cols):
    row, col = cuda.grid(2)
    if row < cols.shape[0] and col < cols.shape[1]:
        kh, kw, sh, sw, dh, dw, pad_top, pad_left = window
        h, w, c = x.shape[1], x.shape[2], x.shape[3]
        plane = out_h * out_w
        s = row // plane
        i = (row - s * plane) // out_w
        j = row - s * plane - i * out_w
        tap = col // c
        k = col - tap * c
        a = tap // kw
        b = tap - a * kw
        p = i * sh + a * dh - pad_top
        q = j * sw + b * dw - pad_left
        if 0 <= p < h and 0 <= q < w:
            cols[row, col] = x[s, p, q, k]
        else:
            cols[row, col] = 0.0


@cuda.jit
def _col2im_kernel(dcols, window, out_h, out_w, dx):
    e = cuda.grid(1)
    n, h, w, c = dx.shape
    if e < n * h * w * c:
        kh, kw, sh, sw, dh, dw, pad_top, pad_left = window
        s = e // (h * w * c)
        rest = e - s * h * w * c
        p = rest // (w * c)
        rest -= p * w * c
        q = rest // c
        k = rest - q * c
        total = 0.0
        for a in range(kh):
            t = p + pad_top - a * dh
            if t < 0 or t % sh != 0 or t // sh >= out_h:
                continue
            i = t // sh
            for b in range(kw):
                u = q + pad_left - b * dw
                if u < 0 or u % sw != 0 or u // sw >= out_w:
                    continue
                j = u // sw
                total += dcols[(s * out_h + i) * out_w + j, (a * kw + b) * c + k]
        dx[s, p, q, k] = total


def _grid_2d(shape):
    return ((shape[0] + _BLOCK_2D[0] - 1) // _BLOCK_2D[0], (shape[1] + _BLOCK_2D[1] - 1) // _BLOCK_2D[1])


def im2col(x, window, out_h, out_w, cols):
    """cols = the receptive field of each output pixel, ordered (kh, kw, c) as the kernel's
    rows, zeros where it reaches into the padding."""
    _im2col_kernel[_grid_2d(cols.shape), _BLOCK_2D](x, tuple(window), out_h, out_w, cols)


def conv_forward(x, kernel2d, bias, act, window, cols, z, y):
    """z = conv(x, kernel) + bias and y = act(z), both (n, out_h, out_w, filters); kernel2d
    is the kernel as (kh*kw*c, filters); cols is (n*out_h*out_w, kh*kw*c) work space."""
    n, out_h, out_w, filters = z.shape
    im2col(x, window, out_h, out_w, cols)
    z2d = z.reshape(n * out_h * out_w, filters)
    matmul(cols, kernel2d, z2d)
    bias_activation_forward(z2d, bias, act, y.reshape(n * out_h * out_w, filters))


def conv_backward(x, kernel2d, z, y, act, window, cols, dy, dz, dkernel2d, dbias, dx):
    """After conv_forward on the same x: dz = dy * act'(z), dkernel2d = cols^T dz, dbias =
    column sums of dz unless empty, and dx (like x) unless None. cols is overwritten."""
    n, out_h, out_w, filters = z.shape
    rows = n * out_h * out_w
    dz2d = dz.reshape(rows, filters)
    activation_backward(dy.reshape(rows, filters), z.reshape(rows, filters), y.reshape(rows, filters),
                        act, dz2d, dbias)
    im2col(x, window, out_h, out_w, cols)
    matmul(cols, dz2d, dkernel2d, trans_a=True)
    if dx is None:
        return
    matmul(dz2d, kernel2d, cols, trans_b=True)
    _col2im_kernel[blocks_for(dx.size), 128](cols, tuple(window), out_h, out_w, dx)
