"""Recurrent kernels: LSTM, GRU (both reset placements) and SimpleRNN, forward and
backpropagation through time.

Everything is time-major and in processing order (go_backwards reverses the sequence once,
on the way in): inputs x_tm (T, B, F), projections (T, B, G*u), states hs (T+1, B, u) with hs[0]
the initial state. The input projection of all time steps is one GEMM (`input_projection`);
each step's recurrent matmul is a BLAS call inside the njit loop, followed by one fused pass
over the step's gates (sigmoid and tanh inlined as vectorizable float32 rational functions;
other activations through kernels.activations). The gate pre-activations overwrite the input
projections in place and the activated gates are kept, so backward recomputes nothing. Backward stops at the initial
state (truncated BPTT, as Keras).

`rmask` is the recurrent dropout mask (B, u), fixed across time steps, or `EMPTY2` for none;
`hm` (T, B, u) then receives the masked previous states the recurrent matmul used (`EMPTY3`
when there is no mask).

The work is split by rows over Numba's threads: the samples of a batch never meet inside a
recurrence, so each step kernel gives every thread blocks of about ROW_CHUNK rows and runs
all the steps of a block without waiting for the others; the whole-sequence products (input
projection, dx, weight gradients) are kernels.blocked's. Each BLAS call is single-threaded
(builder/threads.py) and takes at most ROW_CHUNK rows in the steps: SciPy's OpenBLAS took
twice as long for one 16-row product as for two 8-row ones.

Gate order and activations follow Keras 3: LSTM i, f, c, o; GRU z, r, h with
h_t = z * h_{t-1} + (1 - z) * hh.
"""

import numpy as np
from numba import njit, prange

from .activations import SIGMOID, TANH, scalar_derivative, scalar_forward
from .blocked import blocked_dot, summed_products, summed_products_pair

EMPTY2 = np.empty((0, 0), dtype=np.float32)
EMPTY3 = np.empty((0, 0, 0), dtype=np.float32)


# Gate activations run as branch-free loops that LLVM vectorizes (error_model="numpy" drops
# the division-by-zero checks that would stop it); other activations take the scalar path.
_FAST = dict(cache=True, nogil=True, error_model="numpy")
_PARALLEL = dict(_FAST, parallel=True)
ROW_CHUNK = 8  # rows a recurrent-step BLAS call takes (see the module docstring)


@njit(cache=True, nogil=True, inline="always")
def _tanh(x):
    """tanh in float32 as a rational function on [-9, 9] (Eigen's fast tanh: a few ulps)."""
    x = min(max(x, np.float32(-9.0)), np.float32(9.0))
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = p * x2 + np.float32(-8.60467152213735e-11)
    p = p * x2 + np.float32(5.12229709037114e-08)
    p = p * x2 + np.float32(1.48572235717979e-05)
    p = p * x2 + np.float32(6.37261928875436e-04)
    p = p * x2 + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = q * x2 + np.float32(2.26843463243900e-03)
    q = q * x2 + np.float32(4.89352518554385e-03)
    return p * x / q


@njit(cache=True, nogil=True, inline="always")
def _sigmoid(x):
    return np.float32(0.5) + np.float32(0.5) * _tanh(np.float32(0.5) * x)


@njit(cache=True, nogil=True, inline="always")
def _activate(z, out, start, stop, act):
    """out[j] = act(z[j]) for j in [start, stop) of two rows."""
    if act == SIGMOID:
        for j in range(start, stop):
            out[j] = _sigmoid(z[j])
    elif act == TANH:
        for j in range(start, stop):
            out[j] = _tanh(z[j])
    else:
        for j in range(start, stop):
            out[j] = scalar_forward(z[j], act)


@njit(cache=True, nogil=True, inline="always")
def _derivatives(z, y, out, start, stop, act):
    """out[j] = act'(z[j]) given y[j] = act(z[j]), for j in [start, stop) of three rows."""
    if act == SIGMOID:
        for j in range(start, stop):
            out[j] = y[j] * (np.float32(1.0) - y[j])
    elif act == TANH:
        for j in range(start, stop):
            out[j] = np.float32(1.0) - y[j] * y[j]
    else:
        for j in range(start, stop):
            out[j] = scalar_derivative(z[j], y[j], act)


@njit(cache=True, nogil=True)
def to_time_major(x, reverse, mask, out):
    """out[t, b] = x[b, t'] * mask[b] with t' = T-1-t when reverse; mask may be EMPTY2."""
    batch, steps, features = x.shape
    masked = mask.shape[0] > 0
    for t in range(steps):
        src = steps - 1 - t if reverse else t
        for b in range(batch):
            for f in range(features):
                v = x[b, src, f]
                out[t, b, f] = v * mask[b, f] if masked else v


@njit(cache=True, nogil=True)
def from_time_major(src, reverse, mask, out):
    """out[b, t'] = src[t, b] * mask[b]: the inverse of `to_time_major` (mask may be EMPTY2)."""
    steps, batch, features = src.shape
    masked = mask.shape[0] > 0
    for t in range(steps):
        dst = steps - 1 - t if reverse else t
        for b in range(batch):
            for f in range(features):
                v = src[t, b, f]
                out[b, dst, f] = v * mask[b, f] if masked else v


def input_projection(x_tm, kernel, bias, xp):
    """xp = x_tm @ kernel + bias for all time steps at once (bias may be empty)."""
    steps, batch, features = x_tm.shape
    blocked_dot(x_tm.reshape(steps * batch, features), kernel, xp.reshape(steps * batch, xp.shape[2]), bias)


def projection_backward(x_tm, kernel, h_prev, dxp, dhp, dkernel, drecurrent, dbias, dx_tm):
    """Weight gradients from the per-step pre-activation gradients, as three blocked GEMMs.

    dkernel = x^T dxp, drecurrent = h_prev^T dhp, dbias = sum of dxp (when not empty);
    dx_tm = dxp kernel^T when not None. h_prev holds the (masked) states the recurrent matmul
    saw.
    """
    steps, batch, features = x_tm.shape
    rows = steps * batch
    dxp2 = dxp.reshape(rows, dxp.shape[2])
    h_prev2 = h_prev.reshape(rows, h_prev.shape[2])
    if dhp is dxp:  # LSTM, SimpleRNN: both weight gradients in one parallel region
        summed_products_pair(x_tm.reshape(rows, features), h_prev2, dxp2, dkernel, drecurrent)
    else:
        summed_products(x_tm.reshape(rows, features), dxp2, dkernel)
        summed_products(h_prev2, dhp.reshape(rows, dhp.shape[2]), drecurrent)
    if dbias.shape[0]:
        column_sums(dxp2, dbias)
    if dx_tm is not None:
        blocked_dot(dxp2, kernel.T, dx_tm.reshape(rows, features))


@njit(cache=True, nogil=True)
def column_sums(a, out):
    """out = a summed over its rows (a bias gradient), in one pass down a C-ordered a: numpy's
    np.sum(axis=0) took twice as long, 0.3 ms a batch for the Embedding+LSTM."""
    out[:] = 0.0
    for r in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[j] += a[r, j]


@njit(cache=True, nogil=True)
def _row_blocks(batch):
    """How many blocks of about ROW_CHUNK rows a batch is split into: a power of two (at
    most one row each), so that 2, 4, 8... threads, each handed an equal run of blocks, get
    equal shares; a batch of 20 in 3 blocks had given one of 2 threads 13 rows, the other 7.
    (Asking Numba for its thread count here would make the kernels uncachable.)"""
    wanted = max(1, (batch + ROW_CHUNK // 2) // ROW_CHUNK)
    blocks = 1
    while blocks < wanted:
        blocks *= 2
    return min(blocks, batch)


@njit(cache=True, nogil=True)
def _block_rows(block, blocks, batch):
    return block * batch // blocks, (block + 1) * batch // blocks


@njit(cache=True, nogil=True)
def _rows_dot(a, b, out, r0, r1):
    """out[r0:r1] = a[r0:r1] @ b, ROW_CHUNK rows a BLAS call."""
    for c0 in range(r0, r1, ROW_CHUNK):
        c1 = min(c0 + ROW_CHUNK, r1)
        np.dot(a[c0:c1], b, out[c0:c1])


@njit(cache=True, nogil=True)
def _recurrent_input(hs, t, rmask, hm, r0, r1):
    """The state the recurrent matmul of step t sees (rows r0:r1 are current): hs[t], or
    hs[t] * rmask stored in hm[t]."""
    if rmask.shape[0] == 0:
        return hs[t]
    for b in range(r0, r1):
        for j in range(rmask.shape[1]):
            hm[t, b, j] = hs[t, b, j] * rmask[b, j]
    return hm[t]


@njit(cache=True, nogil=True)
def _masked_add(direct, rec, rmask, dh, r0, r1):
    """dh = direct + rec * rmask on rows r0:r1 (rmask may be EMPTY2; direct may be EMPTY2,
    meaning zero)."""
    masked = rmask.shape[0] > 0
    has_direct = direct.shape[0] > 0
    for b in range(r0, r1):
        for j in range(dh.shape[1]):
            v = rec[b, j] * rmask[b, j] if masked else rec[b, j]
            dh[b, j] = direct[b, j] + v if has_direct else v


# -- LSTM ------------------------------------------------------------------------------------
@njit(**_PARALLEL)
def lstm_forward_steps(xp, recurrent_kernel, rmask, act, ract, hs, cs, gates, cell_act, hm, hp):
    """Run the LSTM over T steps; hs[0] and cs[0] hold the initial state.

    xp (T, B, 4u) becomes the gate pre-activations; gates (T, B, 4u) the activated i, f, c, o;
    cell_act (T, B, u) the activation of each new cell state. hp is (B, 4u) scratch.
    """
    batch = xp.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _lstm_forward_rows(xp, recurrent_kernel, rmask, act, ract, hs, cs, gates, cell_act, hm, hp, r0, r1)


@njit(**_FAST)
def _lstm_forward_rows(xp, recurrent_kernel, rmask, act, ract, hs, cs, gates, cell_act, hm, hp, r0, r1):
    steps, _, width = xp.shape
    units = width // 4
    for t in range(steps):
        _rows_dot(_recurrent_input(hs, t, rmask, hm, r0, r1), recurrent_kernel, hp, r0, r1)
        for b in range(r0, r1):
            pre, rec, gate = xp[t, b], hp[b], gates[t, b]
            for j in range(width):
                pre[j] += rec[j]
            _activate(pre, gate, 0, 2 * units, ract)
            _activate(pre, gate, 2 * units, 3 * units, act)
            _activate(pre, gate, 3 * units, width, ract)
            c_prev, c = cs[t, b], cs[t + 1, b]
            for j in range(units):
                c[j] = gate[units + j] * c_prev[j] + gate[j] * gate[2 * units + j]
            a = cell_act[t, b]
            _activate(c, a, 0, units, act)
            h = hs[t + 1, b]
            for j in range(units):
                h[j] = gate[3 * units + j] * a[j]


@njit(**_PARALLEL)
def lstm_backward_steps(dhs, recurrent_kernel_t, rmask, act, ract, cs, pre, gates, cell_act, dpre, dh, dc, scratch):
    """Backpropagate through time: dhs (T, B, u) is dL/dh reaching each step's output.

    Writes dpre (T, B, 4u), the gradients of the gate pre-activations. dh, dc and scratch are
    (B, u) work arrays.
    """
    batch = pre.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _lstm_backward_rows(dhs, recurrent_kernel_t, rmask, act, ract, cs, pre, gates, cell_act, dpre, dh, dc,
                            scratch, r0, r1)


@njit(**_FAST)
def _lstm_backward_rows(dhs, recurrent_kernel_t, rmask, act, ract, cs, pre, gates, cell_act, dpre, dh, dc, scratch,
                        r0, r1):
    steps, _, width = pre.shape
    units = width // 4
    dh[r0:r1] = 0.0
    dc[r0:r1] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(r0, r1):
            gate, d = gates[t, b], dpre[t, b]
            _derivatives(pre[t, b], gate, d, 0, 2 * units, ract)
            _derivatives(pre[t, b], gate, d, 2 * units, 3 * units, act)
            _derivatives(pre[t, b], gate, d, 3 * units, width, ract)
            a, da = cell_act[t, b], scratch[b]
            _derivatives(cs[t + 1, b], a, da, 0, units, act)
            c_prev, g_out, g_carry, g_in = cs[t, b], dhs[t, b], dc[b], dh[b]
            for j in range(units):
                g_h = g_out[j] + g_in[j]
                d_cell = g_carry[j] + g_h * gate[3 * units + j] * da[j]
                d[j] *= d_cell * gate[2 * units + j]
                d[units + j] *= d_cell * c_prev[j]
                d[2 * units + j] *= d_cell * gate[j]
                d[3 * units + j] *= g_h * a[j]
                g_carry[j] = d_cell * gate[units + j]
        if t > 0:
            _rows_dot(dpre[t], recurrent_kernel_t, scratch, r0, r1)
            _masked_add(EMPTY2, scratch, rmask, dh, r0, r1)


# -- SimpleRNN -------------------------------------------------------------------------------
@njit(**_PARALLEL)
def simple_rnn_forward_steps(xp, recurrent_kernel, rmask, act, hs, hm, hp):
    """h_t = act(xp_t + h_{t-1} @ recurrent_kernel); xp becomes the pre-activations."""
    batch = xp.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _simple_rnn_forward_rows(xp, recurrent_kernel, rmask, act, hs, hm, hp, r0, r1)


@njit(**_FAST)
def _simple_rnn_forward_rows(xp, recurrent_kernel, rmask, act, hs, hm, hp, r0, r1):
    steps, _, units = xp.shape
    for t in range(steps):
        _rows_dot(_recurrent_input(hs, t, rmask, hm, r0, r1), recurrent_kernel, hp, r0, r1)
        for b in range(r0, r1):
            pre, rec = xp[t, b], hp[b]
            for j in range(units):
                pre[j] += rec[j]
            _activate(pre, hs[t + 1, b], 0, units, act)


@njit(**_PARALLEL)
def simple_rnn_backward_steps(dhs, recurrent_kernel_t, rmask, act, hs, pre, dpre, dh, scratch):
    """Writes dpre (T, B, u); dh and scratch are (B, u) work arrays."""
    batch = pre.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _simple_rnn_backward_rows(dhs, recurrent_kernel_t, rmask, act, hs, pre, dpre, dh, scratch, r0, r1)


@njit(**_FAST)
def _simple_rnn_backward_rows(dhs, recurrent_kernel_t, rmask, act, hs, pre, dpre, dh, scratch, r0, r1):
    steps, _, units = pre.shape
    dh[r0:r1] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(r0, r1):
            d, g_out, g_in = dpre[t, b], dhs[t, b], dh[b]
            _derivatives(pre[t, b], hs[t + 1, b], d, 0, units, act)
            for j in range(units):
                d[j] *= g_out[j] + g_in[j]
        if t > 0:
            _rows_dot(dpre[t], recurrent_kernel_t, scratch, r0, r1)
            _masked_add(EMPTY2, scratch, rmask, dh, r0, r1)


# -- GRU, reset after the recurrent matmul (Keras 3's default) ------------------------------
@njit(**_PARALLEL)
def gru_forward_steps(xp, recurrent_kernel, recurrent_bias, rmask, act, ract, hs, gates, rec_h, hm, hp):
    """GRU with reset_after=True: hh = act(x_h + r * (h @ R_h + b_rh)).

    xp (T, B, 3u) becomes the pre-activations, gates (T, B, 3u) the activated z, r, hh;
    rec_h (T, B, u) keeps h @ R_h + b_rh for backward. recurrent_bias is (3u,) or empty.
    """
    batch = xp.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _gru_forward_rows(xp, recurrent_kernel, recurrent_bias, rmask, act, ract, hs, gates, rec_h, hm, hp, r0, r1)


@njit(**_FAST)
def _gru_forward_rows(xp, recurrent_kernel, recurrent_bias, rmask, act, ract, hs, gates, rec_h, hm, hp, r0, r1):
    steps, _, width = xp.shape
    units = width // 3
    has_bias = recurrent_bias.shape[0] > 0
    for t in range(steps):
        _rows_dot(_recurrent_input(hs, t, rmask, hm, r0, r1), recurrent_kernel, hp, r0, r1)
        for b in range(r0, r1):
            pre, rec, gate, keep = xp[t, b], hp[b], gates[t, b], rec_h[t, b]
            if has_bias:
                for j in range(width):
                    rec[j] += recurrent_bias[j]
            for j in range(2 * units):
                pre[j] += rec[j]
            _activate(pre, gate, 0, 2 * units, ract)
            for j in range(units):
                keep[j] = rec[2 * units + j]
                pre[2 * units + j] += gate[units + j] * keep[j]
            _activate(pre, gate, 2 * units, width, act)
            h_prev, h = hs[t, b], hs[t + 1, b]
            for j in range(units):
                update = gate[j]
                h[j] = update * h_prev[j] + (np.float32(1.0) - update) * gate[2 * units + j]


@njit(**_PARALLEL)
def gru_backward_steps(dhs, recurrent_kernel_t, rmask, act, ract, hs, pre, gates, rec_h, dxp, dhp, dh, direct, scratch):
    """Writes dxp (T, B, 3u) (gradients of the input projections) and dhp (T, B, 3u) (of the
    recurrent projections, bias included). dh, direct and scratch are (B, u) work arrays."""
    batch = pre.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _gru_backward_rows(dhs, recurrent_kernel_t, rmask, act, ract, hs, pre, gates, rec_h, dxp, dhp, dh, direct,
                           scratch, r0, r1)


@njit(**_FAST)
def _gru_backward_rows(dhs, recurrent_kernel_t, rmask, act, ract, hs, pre, gates, rec_h, dxp, dhp, dh, direct,
                       scratch, r0, r1):
    steps, _, width = pre.shape
    units = width // 3
    dh[r0:r1] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(r0, r1):
            gate, d, dr = gates[t, b], dxp[t, b], dhp[t, b]
            _derivatives(pre[t, b], gate, d, 0, 2 * units, ract)
            _derivatives(pre[t, b], gate, d, 2 * units, width, act)
            h_prev, keep, g_out, g_in, g_direct = hs[t, b], rec_h[t, b], dhs[t, b], dh[b], direct[b]
            for j in range(units):
                g_h = g_out[j] + g_in[j]
                update = gate[j]
                hh = gate[2 * units + j]
                d_hh = g_h * (np.float32(1.0) - update) * d[2 * units + j]
                d[2 * units + j] = d_hh
                d[j] *= g_h * (h_prev[j] - hh)
                d[units + j] *= d_hh * keep[j]
                dr[j] = d[j]
                dr[units + j] = d[units + j]
                dr[2 * units + j] = d_hh * gate[units + j]
                g_direct[j] = g_h * update
        if t > 0:
            _rows_dot(dhp[t], recurrent_kernel_t, scratch, r0, r1)
            _masked_add(direct, scratch, rmask, dh, r0, r1)


# -- GRU, reset before the recurrent matmul (reset_after=False) -----------------------------
@njit(**_PARALLEL)
def gru_reset_before_forward_steps(xp, kernel_zr, kernel_h, rmask, act, ract, hs, gates, rh, hm, hp_zr, hp_h):
    """GRU with reset_after=False: hh = act(x_h + (r * h) @ R_h).

    kernel_zr (u, 2u) and kernel_h (u, u) are the recurrent kernel's column blocks; rh (T, B, u)
    keeps r * h for backward; hp_zr (B, 2u) and hp_h (B, u) are scratch.
    """
    batch = xp.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _gru_reset_before_forward_rows(xp, kernel_zr, kernel_h, rmask, act, ract, hs, gates, rh, hm, hp_zr, hp_h,
                                       r0, r1)


@njit(**_FAST)
def _gru_reset_before_forward_rows(xp, kernel_zr, kernel_h, rmask, act, ract, hs, gates, rh, hm, hp_zr, hp_h, r0, r1):
    steps, _, width = xp.shape
    units = width // 3
    for t in range(steps):
        h_in = _recurrent_input(hs, t, rmask, hm, r0, r1)
        _rows_dot(h_in, kernel_zr, hp_zr, r0, r1)
        for b in range(r0, r1):
            pre, rec, gate, reset_h, state = xp[t, b], hp_zr[b], gates[t, b], rh[t, b], h_in[b]
            for j in range(2 * units):
                pre[j] += rec[j]
            _activate(pre, gate, 0, 2 * units, ract)
            for j in range(units):
                reset_h[j] = gate[units + j] * state[j]
        _rows_dot(rh[t], kernel_h, hp_h, r0, r1)
        for b in range(r0, r1):
            pre, rec, gate = xp[t, b], hp_h[b], gates[t, b]
            for j in range(units):
                pre[2 * units + j] += rec[j]
            _activate(pre, gate, 2 * units, width, act)
            h_prev, h = hs[t, b], hs[t + 1, b]
            for j in range(units):
                update = gate[j]
                h[j] = update * h_prev[j] + (np.float32(1.0) - update) * gate[2 * units + j]


@njit(**_PARALLEL)
def gru_reset_before_backward_steps(
    dhs, kernel_zr_t, kernel_h_t, rmask, act, ract, hs, hm, pre, gates, dxp, dh, direct, d_hh, d_zr, d_rh, scratch
):
    """Writes dxp (T, B, 3u). d_hh (B, u), d_zr (B, 2u), d_rh, dh, direct, scratch (B, u) are work
    arrays; hm holds the masked states when rmask is not empty."""
    batch = pre.shape[1]
    blocks = _row_blocks(batch)
    for block in prange(blocks):
        r0, r1 = _block_rows(block, blocks, batch)
        _gru_reset_before_backward_rows(dhs, kernel_zr_t, kernel_h_t, rmask, act, ract, hs, hm, pre, gates, dxp, dh,
                                        direct, d_hh, d_zr, d_rh, scratch, r0, r1)


@njit(**_FAST)
def _gru_reset_before_backward_rows(dhs, kernel_zr_t, kernel_h_t, rmask, act, ract, hs, hm, pre, gates, dxp, dh,
                                    direct, d_hh, d_zr, d_rh, scratch, r0, r1):
    steps, _, width = pre.shape
    units = width // 3
    masked = rmask.shape[0] > 0
    dh[r0:r1] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(r0, r1):
            gate, d = gates[t, b], dxp[t, b]
            _derivatives(pre[t, b], gate, d, 0, 2 * units, ract)
            _derivatives(pre[t, b], gate, d, 2 * units, width, act)
            h_prev, g_out, g_in, g_direct, dk, dzr = hs[t, b], dhs[t, b], dh[b], direct[b], d_hh[b], d_zr[b]
            for j in range(units):
                g_h = g_out[j] + g_in[j]
                update = gate[j]
                hh = gate[2 * units + j]
                d[2 * units + j] *= g_h * (np.float32(1.0) - update)
                dk[j] = d[2 * units + j]
                d[j] *= g_h * (h_prev[j] - hh)
                dzr[j] = d[j]
                g_direct[j] = g_h * update
        _rows_dot(d_hh, kernel_h_t, d_rh, r0, r1)
        for b in range(r0, r1):
            d, dzr, drh = dxp[t, b], d_zr[b], d_rh[b]
            h_in = hm[t, b] if masked else hs[t, b]
            for j in range(units):
                d[units + j] *= drh[j] * h_in[j]
                dzr[units + j] = d[units + j]
        if t > 0:
            _rows_dot(d_zr, kernel_zr_t, scratch, r0, r1)
            for b in range(r0, r1):
                for j in range(units):
                    scratch[b, j] += d_rh[b, j] * gates[t, b, units + j]
            _masked_add(direct, scratch, rmask, dh, r0, r1)
