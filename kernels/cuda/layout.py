"""Moving data between layouts on the GPU: time-major sequences and transposes.

`to_time_major`/`from_time_major` are the twins of kernels/recurrent.py's (same arguments:
`reverse` walks the steps backwards, `mask` (B, F) multiplies each sample's features or is an
empty (0, 0) array). `last_step_grad` spreads the gradient of a recurrent layer that returns
its last state only, and `transpose` copies a matrix transposed into a buffer the caller
owns (a device array's own `.T` allocates a new one on every call).
One thread per element of the output.
"""

from numba import cuda

from kernels.cuda.launch import blocks_for


@cuda.jit
def _time_major_kernel(x, reverse, mask, out):
    e = cuda.grid(1)
    steps, batch, features = out.shape
    if e < out.size:
        t = e // (batch * features)
        b = (e // features) % batch
        f = e % features
        src = steps - 1 - t if reverse else t
        v = x[b, src, f]
        out[t, b, f] = v * mask[b, f] if mask.shape[0] > 0 else v


@cuda.jit
def _batch_major_kernel(src, reverse, mask, out):
    e = cuda.grid(1)
    batch, steps, features = out.shape
    if e < out.size:
        b = e // (steps * features)
        t = (e // features) % steps
        f = e % features
        step = steps - 1 - t if reverse else t
        v = src[step, b, f]
        out[b, t, f] = v * mask[b, f] if mask.shape[0] > 0 else v


@cuda.jit
def _last_step_kernel(dy, dhs):
    e = cuda.grid(1)
    steps, batch, units = dhs.shape
    if e < dhs.size:
        t = e // (batch * units)
        b = (e // units) % batch
        j = e % units
        dhs[t, b, j] = dy[b, j] if t == steps - 1 else 0.0


@cuda.jit
def _transpose_kernel(a, out):
    e = cuda.grid(1)
    rows, cols = out.shape
    if e < out.size:
        i = e // cols
        j = e - i * cols
        out[i, j] = a[j, i]


def to_time_major(x, reverse, mask, out):
    """out[t, b] = x[b, t'] * mask[b] with t' = T-1-t when reverse; mask may be (0, 0)."""
    _time_major_kernel[blocks_for(out.size), 128](x, bool(reverse), mask, out)


def from_time_major(src, reverse, mask, out):
    """out[b, t'] = src[t, b] * mask[b]: the inverse of `to_time_major`."""
    _batch_major_kernel[blocks_for(out.size), 128](src, bool(reverse), mask, out)


def last_step_grad(dy, dhs):
    """dhs (T, B, u) = zeros, except dhs[T-1] = dy (B, u)."""
    _last_step_kernel[blocks_for(dhs.size), 128](dy, dhs)


def transpose(a, out):
    """out (n, m) = a (m, n) transposed."""
    _transpose_kernel[blocks_for(out.size), 128](a, out)
