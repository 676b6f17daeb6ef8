"""Recurrent kernels: LSTM, GRU (both reset placements) and SimpleRNN, forward and
backpropagation through time.

Everything is time-major and in processing order (go_backwards reverses the sequence once,
on the way in): inputs x_tm (T, B, F), projections (T, B, G*u), states hs (T+1, B, u) with hs[0]
the initial state. The input projection of all time steps is one GEMM (`input_projection`);
each step's recurrent matmul is a BLAS call inside the njit loop, followed by one fused loop
over the step's gates. The gate pre-activations overwrite the input projections in place and
the activated gates are kept, so backward recomputes nothing. Backward stops at the initial
state (truncated BPTT, as Keras).

`rmask` is the recurrent dropout mask (B, u), fixed across time steps, or `EMPTY2` for none;
`hm` (T, B, u) then receives the masked previous states the recurrent matmul used (`EMPTY3`
when there is no mask).
Gate order and activations follow Keras 3: LSTM i, f, c, o; GRU z, r, h with
h_t = z * h_{t-1} + (1 - z) * hh.
"""

import numpy as np
from numba import njit

from .activations import scalar_derivative, scalar_forward

EMPTY2 = np.empty((0, 0), dtype=np.float32)
EMPTY3 = np.empty((0, 0, 0), dtype=np.float32)


@njit(cache=True)
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


@njit(cache=True)
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
    xp2 = xp.reshape(steps * batch, xp.shape[2])
    np.dot(x_tm.reshape(steps * batch, features), kernel, out=xp2)
    if bias.shape[0]:
        xp2 += bias


def projection_backward(x_tm, kernel, h_prev, dxp, dhp, dkernel, drecurrent, dbias, dx_tm):
    """Weight gradients from the per-step pre-activation gradients, as three GEMMs.

    dkernel = x^T dxp, drecurrent = h_prev^T dhp, dbias = sum of dxp (when not empty);
    dx_tm = dxp kernel^T when not None. h_prev holds the (masked) states the recurrent matmul saw.
    """
    steps, batch, features = x_tm.shape
    rows = steps * batch
    dxp2 = dxp.reshape(rows, dxp.shape[2])
    np.dot(x_tm.reshape(rows, features).T, dxp2, out=dkernel)
    np.dot(h_prev.reshape(rows, h_prev.shape[2]).T, dhp.reshape(rows, dhp.shape[2]), out=drecurrent)
    if dbias.shape[0]:
        np.sum(dxp2, axis=0, out=dbias)
    if dx_tm is not None:
        np.dot(dxp2, kernel.T, out=dx_tm.reshape(rows, features))


@njit(cache=True)
def _recurrent_input(hs, t, rmask, hm):
    """The state the recurrent matmul of step t sees: hs[t], or hs[t] * rmask stored in hm[t]."""
    if rmask.shape[0] == 0:
        return hs[t]
    batch, units = rmask.shape
    for b in range(batch):
        for j in range(units):
            hm[t, b, j] = hs[t, b, j] * rmask[b, j]
    return hm[t]


@njit(cache=True)
def _mask_into(rec, rmask, dh):
    """dh = rec * rmask (rmask may be EMPTY2)."""
    if rmask.shape[0] == 0:
        dh[:] = rec
        return
    batch, units = dh.shape
    for b in range(batch):
        for j in range(units):
            dh[b, j] = rec[b, j] * rmask[b, j]


@njit(cache=True)
def _masked_add(direct, rec, rmask, dh):
    """dh = direct + rec * rmask (rmask may be EMPTY2)."""
    batch, units = dh.shape
    masked = rmask.shape[0] > 0
    for b in range(batch):
        for j in range(units):
            v = rec[b, j] * rmask[b, j] if masked else rec[b, j]
            dh[b, j] = direct[b, j] + v


# -- LSTM ------------------------------------------------------------------------------------
@njit(cache=True)
def lstm_forward_steps(xp, recurrent_kernel, rmask, act, ract, hs, cs, gates, cell_act, hm, hp):
    """Run the LSTM over T steps; hs[0] and cs[0] hold the initial state.

    xp (T, B, 4u) becomes the gate pre-activations; gates (T, B, 4u) the activated i, f, c, o;
    cell_act (T, B, u) the activation of each new cell state. hp is (B, 4u) scratch.
    """
    steps, batch, width = xp.shape
    units = width // 4
    for t in range(steps):
        np.dot(_recurrent_input(hs, t, rmask, hm), recurrent_kernel, hp)
        for b in range(batch):
            for j in range(width):
                z = xp[t, b, j] + hp[b, j]
                xp[t, b, j] = z
                gates[t, b, j] = scalar_forward(z, act if j // units == 2 else ract)
            for j in range(units):
                c = gates[t, b, units + j] * cs[t, b, j] + gates[t, b, j] * gates[t, b, 2 * units + j]
                cs[t + 1, b, j] = c
                a = scalar_forward(c, act)
                cell_act[t, b, j] = a
                hs[t + 1, b, j] = gates[t, b, 3 * units + j] * a


@njit(cache=True)
def lstm_backward_steps(dhs, recurrent_kernel_t, rmask, act, ract, cs, pre, gates, cell_act, dpre, dh, dc, scratch):
    """Backpropagate through time: dhs (T, B, u) is dL/dh reaching each step's output.

    Writes dpre (T, B, 4u), the gradients of the gate pre-activations. dh, dc and scratch are
    (B, u) work arrays.
    """
    steps, batch, width = pre.shape
    units = width // 4
    dh[:] = 0.0
    dc[:] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(batch):
            for j in range(units):
                g_h = dhs[t, b, j] + dh[b, j]
                i = gates[t, b, j]
                f = gates[t, b, units + j]
                g = gates[t, b, 2 * units + j]
                o = gates[t, b, 3 * units + j]
                a = cell_act[t, b, j]
                d_cell = dc[b, j] + g_h * o * scalar_derivative(cs[t + 1, b, j], a, act)
                dpre[t, b, j] = d_cell * g * scalar_derivative(pre[t, b, j], i, ract)
                dpre[t, b, units + j] = d_cell * cs[t, b, j] * scalar_derivative(pre[t, b, units + j], f, ract)
                dpre[t, b, 2 * units + j] = d_cell * i * scalar_derivative(pre[t, b, 2 * units + j], g, act)
                dpre[t, b, 3 * units + j] = g_h * a * scalar_derivative(pre[t, b, 3 * units + j], o, ract)
                dc[b, j] = d_cell * f
        if t > 0:
            np.dot(dpre[t], recurrent_kernel_t, scratch)
            _mask_into(scratch, rmask, dh)


# -- SimpleRNN -------------------------------------------------------------------------------
@njit(cache=True)
def simple_rnn_forward_steps(xp, recurrent_kernel, rmask, act, hs, hm, hp):
    """h_t = act(xp_t + h_{t-1} @ recurrent_kernel); xp becomes the pre-activations."""
    steps, batch, units = xp.shape
    for t in range(steps):
        np.dot(_recurrent_input(hs, t, rmask, hm), recurrent_kernel, hp)
        for b in range(batch):
            for j in range(units):
                z = xp[t, b, j] + hp[b, j]
                xp[t, b, j] = z
                hs[t + 1, b, j] = scalar_forward(z, act)


@njit(cache=True)
def simple_rnn_backward_steps(dhs, recurrent_kernel_t, rmask, act, hs, pre, dpre, dh, scratch):
    """Writes dpre (T, B, u); dh and scratch are (B, u) work arrays."""
    steps, batch, units = pre.shape
    dh[:] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(batch):
            for j in range(units):
                dpre[t, b, j] = (dhs[t, b, j] + dh[b, j]) * scalar_derivative(pre[t, b, j], hs[t + 1, b, j], act)
        if t > 0:
            np.dot(dpre[t], recurrent_kernel_t, scratch)
            _mask_into(scratch, rmask, dh)


# -- GRU, reset after the recurrent matmul (Keras 3's default) ------------------------------
@njit(cache=True)
def gru_forward_steps(xp, recurrent_kernel, recurrent_bias, rmask, act, ract, hs, gates, rec_h, hm, hp):
    """GRU with reset_after=True: hh = act(x_h + r * (h @ R_h + b_rh)).

    xp (T, B, 3u) becomes the pre-activations, gates (T, B, 3u) the activated z, r, hh;
    rec_h (T, B, u) keeps h @ R_h + b_rh for backward. recurrent_bias is (3u,) or empty.
    """
    steps, batch, width = xp.shape
    units = width // 3
    has_bias = recurrent_bias.shape[0] > 0
    for t in range(steps):
        np.dot(_recurrent_input(hs, t, rmask, hm), recurrent_kernel, hp)
        for b in range(batch):
            for j in range(width):
                if has_bias:
                    hp[b, j] += recurrent_bias[j]
            for j in range(2 * units):
                z = xp[t, b, j] + hp[b, j]
                xp[t, b, j] = z
                gates[t, b, j] = scalar_forward(z, ract)
            for j in range(units):
                k = 2 * units + j
                rh = hp[b, k]
                rec_h[t, b, j] = rh
                z = xp[t, b, k] + gates[t, b, units + j] * rh
                xp[t, b, k] = z
                hh = scalar_forward(z, act)
                gates[t, b, k] = hh
                update = gates[t, b, j]
                hs[t + 1, b, j] = update * hs[t, b, j] + (1.0 - update) * hh


@njit(cache=True)
def gru_backward_steps(dhs, recurrent_kernel_t, rmask, act, ract, hs, pre, gates, rec_h, dxp, dhp, dh, direct, scratch):
    """Writes dxp (T, B, 3u) (gradients of the input projections) and dhp (T, B, 3u) (of the
    recurrent projections, bias included). dh, direct and scratch are (B, u) work arrays."""
    steps, batch, width = pre.shape
    units = width // 3
    dh[:] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(batch):
            for j in range(units):
                k = 2 * units + j
                g_h = dhs[t, b, j] + dh[b, j]
                update = gates[t, b, j]
                reset = gates[t, b, units + j]
                hh = gates[t, b, k]
                d_hh = g_h * (1.0 - update) * scalar_derivative(pre[t, b, k], hh, act)
                d_update = g_h * (hs[t, b, j] - hh) * scalar_derivative(pre[t, b, j], update, ract)
                d_reset = d_hh * rec_h[t, b, j] * scalar_derivative(pre[t, b, units + j], reset, ract)
                dxp[t, b, j] = d_update
                dxp[t, b, units + j] = d_reset
                dxp[t, b, k] = d_hh
                dhp[t, b, j] = d_update
                dhp[t, b, units + j] = d_reset
                dhp[t, b, k] = d_hh * reset
                direct[b, j] = g_h * update
        if t > 0:
            np.dot(dhp[t], recurrent_kernel_t, scratch)
            _masked_add(direct, scratch, rmask, dh)


# -- GRU, reset before the recurrent matmul (reset_after=False) -----------------------------
@njit(cache=True)
def gru_reset_before_forward_steps(xp, kernel_zr, kernel_h, rmask, act, ract, hs, gates, rh, hm, hp_zr, hp_h):
    """GRU with reset_after=False: hh = act(x_h + (r * h) @ R_h).

    kernel_zr (u, 2u) and kernel_h (u, u) are the recurrent kernel's column blocks; rh (T, B, u)
    keeps r * h for backward; hp_zr (B, 2u) and hp_h (B, u) are scratch.
    """
    steps, batch, width = xp.shape
    units = width // 3
    for t in range(steps):
        h_in = _recurrent_input(hs, t, rmask, hm)
        np.dot(h_in, kernel_zr, hp_zr)
        for b in range(batch):
            for j in range(2 * units):
                z = xp[t, b, j] + hp_zr[b, j]
                xp[t, b, j] = z
                gates[t, b, j] = scalar_forward(z, ract)
            for j in range(units):
                rh[t, b, j] = gates[t, b, units + j] * h_in[b, j]
        np.dot(rh[t], kernel_h, hp_h)
        for b in range(batch):
            for j in range(units):
                k = 2 * units + j
                z = xp[t, b, k] + hp_h[b, j]
                xp[t, b, k] = z
                hh = scalar_forward(z, act)
                gates[t, b, k] = hh
                update = gates[t, b, j]
                hs[t + 1, b, j] = update * hs[t, b, j] + (1.0 - update) * hh


@njit(cache=True)
def gru_reset_before_backward_steps(
    dhs, kernel_zr_t, kernel_h_t, rmask, act, ract, hs, hm, pre, gates, dxp, dh, direct, d_hh, d_zr, d_rh, scratch
):
    """Writes dxp (T, B, 3u). d_hh (B, u), d_zr (B, 2u), d_rh, dh, direct, scratch (B, u) are work
    arrays; hm holds the masked states when rmask is not empty."""
    steps, batch, width = pre.shape
    units = width // 3
    masked = rmask.shape[0] > 0
    dh[:] = 0.0
    for t in range(steps - 1, -1, -1):
        for b in range(batch):
            for j in range(units):
                k = 2 * units + j
                g_h = dhs[t, b, j] + dh[b, j]
                update = gates[t, b, j]
                hh = gates[t, b, k]
                dk = g_h * (1.0 - update) * scalar_derivative(pre[t, b, k], hh, act)
                d_hh[b, j] = dk
                dxp[t, b, k] = dk
                du = g_h * (hs[t, b, j] - hh) * scalar_derivative(pre[t, b, j], update, ract)
                dxp[t, b, j] = du
                d_zr[b, j] = du
                direct[b, j] = g_h * update
        np.dot(d_hh, kernel_h_t, d_rh)
        for b in range(batch):
            for j in range(units):
                h_in = hm[t, b, j] if masked else hs[t, b, j]
                reset = gates[t, b, units + j]
                dr = d_rh[b, j] * h_in * scalar_derivative(pre[t, b, units + j], reset, ract)
                dxp[t, b, units + j] = dr
                d_zr[b, units + j] = dr
        if t > 0:
            np.dot(d_zr, kernel_zr_t, scratch)
            for b in range(batch):
                for j in range(units):
                    scratch[b, j] += d_rh[b, j] * gates[t, b, units + j]
            _masked_add(direct, scratch, rmask, dh)
