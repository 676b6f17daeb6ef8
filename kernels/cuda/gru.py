"""GRU steps on the GPU, both reset placements: per time step the tiled recurrent product(s),
then fused kernels over the step's gates (one thread per batch row and unit).

Layouts, gate order (Keras 3's z, r, h with h_t = z * h_{t-1} + (1 - z) * hh) and signatures
are those of kernels/recurrent.py's gru_* kernels; the step helpers (grid, masked recurrent
input) are kernels/cuda/recurrent.py's. The column blocks of the recurrent kernel the
reset-before variant takes may be strided views of it.
"""

from numba import cuda

from kernels.cuda.elementwise import scalar_derivative, scalar_forward
from kernels.cuda.matmul import matmul
from kernels.cuda.recurrent import BLOCK_2D, recurrent_input, step_grid


@cuda.jit
def _masked_add_kernel(direct, rec, rmask, dh):
    """dh = direct + rec * rmask (rmask may be empty)."""
    b, j = cuda.grid(2)
    if b < dh.shape[0] and j < dh.shape[1]:
        v = rec[b, j] * rmask[b, j] if rmask.shape[0] > 0 else rec[b, j]
        dh[b, j] = direct[b, j] + v


@cuda.jit(device=True)
def _blend(update, h_prev, candidate):
    """The new state h_t = z * h_{t-1} + (1 - z) * hh."""
    return update * h_prev + (1.0 - update) * candidate


@cuda.jit(device=True)
def _update_and_candidate_grads(dhs, dh, t, b, j, act, ract, hs, pre, gates, dxp, direct):
    """The gradients of the z and hh pre-activations of step t, written to dxp[t, b] and
    returned; direct[b, j] gets the part of dL/dh_{t-1} that flows through z * h_{t-1}."""
    units = dh.shape[1]
    update = gates[t, b, j]
    candidate = gates[t, b, 2 * units + j]
    g_h = dhs[t, b, j] + dh[b, j]
    d_candidate = scalar_derivative(pre[t, b, 2 * units + j], candidate, act) * g_h * (1.0 - update)
    d_update = scalar_derivative(pre[t, b, j], update, ract) * g_h * (hs[t, b, j] - candidate)
    dxp[t, b, j] = d_update
    dxp[t, b, 2 * units + j] = d_candidate
    direct[b, j] = g_h * update
    return d_update, d_candidate


# -- reset after the recurrent product (Keras 3's default) -----------------------------------
@cuda.jit
def _gru_gates_kernel(xp, hp, recurrent_bias, t, act, ract, hs, gates, rec_h):
    b, j = cuda.grid(2)
    units = rec_h.shape[2]
    if b < hp.shape[0] and j < units:
        has_bias = recurrent_bias.shape[0] > 0
        rec_z = hp[b, j] + recurrent_bias[j] if has_bias else hp[b, j]
        rec_r = hp[b, units + j] + recurrent_bias[units + j] if has_bias else hp[b, units + j]
        rec_hh = hp[b, 2 * units + j] + recurrent_bias[2 * units + j] if has_bias else hp[b, 2 * units + j]
        xp[t, b, j] += rec_z
        xp[t, b, units + j] += rec_r
        update = scalar_forward(xp[t, b, j], ract)
        reset = scalar_forward(xp[t, b, units + j], ract)
        rec_h[t, b, j] = rec_hh
        xp[t, b, 2 * units + j] += reset * rec_hh
        candidate = scalar_forward(xp[t, b, 2 * units + j], act)
        gates[t, b, j] = update
        gates[t, b, units + j] = reset
        gates[t, b, 2 * units + j] = candidate
        hs[t + 1, b, j] = _blend(update, hs[t, b, j], candidate)


@cuda.jit
def _gru_grads_kernel(dhs, t, act, ract, hs, pre, gates, rec_h, dxp, dhp, dh, direct):
    b, j = cuda.grid(2)
    units = dh.shape[1]
    if b < dh.shape[0] and j < units:
        d_z, d_hh = _update_and_candidate_grads(dhs, dh, t, b, j, act, ract, hs, pre, gates, dxp, direct)
        reset = gates[t, b, units + j]
        d_r = scalar_derivative(pre[t, b, units + j], reset, ract) * d_hh * rec_h[t, b, j]
        dxp[t, b, units + j] = d_r
        dhp[t, b, j] = d_z
        dhp[t, b, units + j] = d_r
        dhp[t, b, 2 * units + j] = d_hh * reset


def gru_forward_steps(xp, recurrent_kernel, recurrent_bias, rmask, act, ract, hs, gates, rec_h, hm, hp):
    """GRU with reset_after=True: hh = act(x_h + r * (h @ R_h + b_rh)).

    xp (T, B, 3u) becomes the pre-activations, gates (T, B, 3u) the activated z, r, hh;
    rec_h (T, B, u) keeps h @ R_h + b_rh for backward. recurrent_bias is (3u,) or empty;
    hp is (B, 3u) scratch.
    """
    steps, batch, width = xp.shape
    grid = step_grid(batch, width // 3)
    for t in range(steps):
        matmul(recurrent_input(hs, t, rmask, hm), recurrent_kernel, hp)
        _gru_gates_kernel[grid, BLOCK_2D](xp, hp, recurrent_bias, t, act, ract, hs, gates, rec_h)


def gru_backward_steps(dhs, recurrent_kernel_t, rmask, act, ract, hs, pre, gates, rec_h, dxp, dhp, dh, direct,
                       scratch):
    """Writes dxp (T, B, 3u) (gradients of the input projections) and dhp (T, B, 3u) (of the
    recurrent projections, bias included). dh, direct and scratch are (B, u) work arrays."""
    steps, batch, width = pre.shape
    grid = step_grid(batch, width // 3)
    dh[:] = 0.0
    for t in range(steps - 1, -1, -1):
        _gru_grads_kernel[grid, BLOCK_2D](dhs, t, act, ract, hs, pre, gates, rec_h, dxp, dhp, dh, direct)
        if t > 0:
            matmul(dhp[t], recurrent_kernel_t, scratch)
            _masked_add_kernel[grid, BLOCK_2D](direct, scratch, rmask, dh)


# -- reset before the recurrent product (reset_after=False) ----------------------------------
@cuda.jit
def _gru_zr_kernel(xp, hp_zr, h_in, t, ract, gates, rh):
    b, j = cuda.grid(2)
    units = rh.shape[2]
    if b < h_in.shape[0] and j < units:
        xp[t, b, j] += hp_zr[b, j]
        xp[t, b, units + j] += hp_zr[b, units + j]
        gates[t, b, j] = scalar_forward(xp[t, b, j], ract)
        reset = scalar_forward(xp[t, b, units + j], ract)
        gates[t, b, units + j] = reset
        rh[t, b, j] = reset * h_in[b, j]


@cuda.jit
def _gru_candidate_kernel(xp, hp_h, t, act, hs, gates):
    b, j = cuda.grid(2)
    units = hp_h.shape[1]
    if b < hp_h.shape[0] and j < units:
        xp[t, b, 2 * units + j] += hp_h[b, j]
        candidate = scalar_forward(xp[t, b, 2 * units + j], act)
        gates[t, b, 2 * units + j] = candidate
        hs[t + 1, b, j] = _blend(gates[t, b, j], hs[t, b, j], candidate)


@cuda.jit
def _gru_update_grads_kernel(dhs, t, act, ract, hs, pre, gates, dxp, dh, direct, d_hh, d_zr):
    b, j = cuda.grid(2)
    if b < dh.shape[0] and j < dh.shape[1]:
        d_zr[b, j], d_hh[b, j] = _update_and_candidate_grads(dhs, dh, t, b, j, act, ract, hs, pre, gates, dxp, direct)


@cuda.jit
def _gru_reset_grads_kernel(t, ract, h_in, pre, gates, d_rh, dxp, d_zr):
    b, j = cuda.grid(2)
    units = d_rh.shape[1]
    if b < d_rh.shape[0] and j < units:
        d_reset = scalar_derivative(pre[t, b, units + j], gates[t, b, units + j], ract) * d_rh[b, j] * h_in[b, j]
        dxp[t, b, units + j] = d_reset
        d_zr[b, units + j] = d_reset


@cuda.jit
def _gru_state_grad_kernel(t, direct, scratch, d_rh, gates, rmask, dh):
    """dh = direct + (scratch + d_rh * r) * rmask: through z, r and the reset state r * h."""
    b, j = cuda.grid(2)
    units = dh.shape[1]
    if b < dh.shape[0] and j < units:
        v = scratch[b, j] + d_rh[b, j] * gates[t, b, units + j]
        dh[b, j] = direct[b, j] + (v * rmask[b, j] if rmask.shape[0] > 0 else v)


def gru_reset_before_forward_steps(xp, kernel_zr, kernel_h, rmask, act, ract, hs, gates, rh, hm, hp_zr, hp_h):
    """GRU with reset_after=False: hh = act(x_h + (r * h) @ R_h).

    kernel_zr (u, 2u) and kernel_h (u, u) are the recurrent kernel's column blocks; rh (T, B, u)
    keeps r * h for backward; hp_zr (B, 2u) and hp_h (B, u) are scratch.
    """
    steps, batch, width = xp.shape
    grid = step_grid(batch, width // 3)
    for t in range(steps):
        h_in = recurrent_input(hs, t, rmask, hm)
        matmul(h_in, kernel_zr, hp_zr)
        _gru_zr_kernel[grid, BLOCK_2D](xp, hp_zr, h_in, t, ract, gates, rh)
        matmul(rh[t], kernel_h, hp_h)
        _gru_candidate_kernel[grid, BLOCK_2D](xp, hp_h, t, act, hs, gates)


def gru_reset_before_backward_steps(
    dhs, kernel_zr_t, kernel_h_t, rmask, act, ract, hs, hm, pre, gates, dxp, dh, direct, d_hh, d_zr, d_rh, scratch
):
    """Writes dxp (T, B, 3u). d_hh (B, u), d_zr (B, 2u), d_rh, dh, direct, scratch (B, u) are work
    arrays; hm holds the masked states when rmask is not empty."""
    steps, batch, width = pre.shape
    grid = step_grid(batch, width // 3)
    dh[:] = 0.0
    for t in range(steps - 1, -1, -1):
        _gru_update_grads_kernel[grid, BLOCK_2D](dhs, t, act, ract, hs, pre, gates, dxp, dh, direct, d_hh, d_zr)
        matmul(d_hh, kernel_h_t, d_rh)
        h_in = hm[t] if rmask.shape[0] else hs[t]
        _gru_reset_grads_kernel[grid, BLOCK_2D](t, ract, h_in, pre, gates, d_rh, dxp, d_zr)
        if t > 0:
            matmul(d_zr, kernel_zr_t, scratch)
            _gru_state_grad_kernel[grid, BLOCK_2D](t, direct, scratch, d_rh, gates, rmask, dh)
