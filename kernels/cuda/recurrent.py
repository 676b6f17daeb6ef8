"""LSTM and SimpleRNN steps on the GPU: per time step one tiled matrix product for the
recurrent input, then one fused kernel over the step's gates (one thread per batch row and
unit). GRU's steps are in kernels/cuda/gru.py, built on the step helpers here.

Layouts, gate order (Keras's i, f, c, o) and signatures are those of kernels/recurrent.py:
time-major xp (T, B, G*u) becomes the gate pre-activations, hs/cs (T+1, B, u) hold the
initial state at 0, `rmask` is the recurrent dropout mask (B, u) or an empty (0, 0) array,
and `hm` (T, B, u) then receives the masked states the products used. Backward stops at the
initial state (truncated BPTT, as Keras).
"""

from numba import cuda

from kernels.cuda.elementwise import scalar_derivative, scalar_forward
from kernels.cuda.matmul import matmul

BLOCK_2D = (16, 16)


def step_grid(batch, units):
    """Blocks of BLOCK_2D covering one thread per (batch row, unit)."""
    return ((batch + BLOCK_2D[0] - 1) // BLOCK_2D[0], (units + BLOCK_2D[1] - 1) // BLOCK_2D[1])


@cuda.jit
def _mask_state_kernel(hs, t, rmask, hm):
    b, j = cuda.grid(2)
    if b < rmask.shape[0] and j < rmask.shape[1]:
        hm[t, b, j] = hs[t, b, j] * rmask[b, j]


@cuda.jit
def _lstm_gates_kernel(xp, hp, t, act, ract, hs, cs, gates, cell_act):
    b, j = cuda.grid(2)
    units = cell_act.shape[2]
    if b < hp.shape[0] and j < units:
        for g in range(4):
            xp[t, b, g * units + j] += hp[b, g * units + j]
        i_gate = scalar_forward(xp[t, b, j], ract)
        f_gate = scalar_forward(xp[t, b, units + j], ract)
        c_gate = scalar_forward(xp[t, b, 2 * units + j], act)
        o_gate = scalar_forward(xp[t, b, 3 * units + j], ract)
        gates[t, b, j] = i_gate
        gates[t, b, units + j] = f_gate
        gates[t, b, 2 * units + j] = c_gate
        gates[t, b, 3 * units + j] = o_gate
        c = f_gate * cs[t, b, j] + i_gate * c_gate
        cs[t + 1, b, j] = c
        a = scalar_forward(cs[t + 1, b, j], act)
        cell_act[t, b, j] = a
        hs[t + 1, b, j] = o_gate * a


@cuda.jit
def _lstm_gate_grads_kernel(dhs, t, act, ract, cs, pre, gates, cell_act, dpre, dh, dc):
    b, j = cuda.grid(2)
    units = dh.shape[1]
    if b < dh.shape[0] and j < units:
        i_gate = gates[t, b, j]
        f_gate = gates[t, b, units + j]
        c_gate = gates[t, b, 2 * units + j]
        o_gate = gates[t, b, 3 * units + j]
        a = cell_act[t, b, j]
        g_h = dhs[t, b, j] + dh[b, j]
        d_cell = dc[b, j] + g_h * o_gate * scalar_derivative(cs[t + 1, b, j], a, act)
        dpre[t, b, j] = scalar_derivative(pre[t, b, j], i_gate, ract) * d_cell * c_gate
        dpre[t, b, units + j] = scalar_derivative(pre[t, b, units + j], f_gate, ract) * d_cell * cs[t, b, j]
        dpre[t, b, 2 * units + j] = scalar_derivative(pre[t, b, 2 * units + j], c_gate, act) * d_cell * i_gate
        dpre[t, b, 3 * units + j] = scalar_derivative(pre[t, b, 3 * units + j], o_gate, ract) * g_h * a
        dc[b, j] = d_cell * f_gate


@cuda.jit
def _masked_copy_kernel(src, rmask, dst):
    b, j = cuda.grid(2)
    if b < dst.shape[0] and j < dst.shape[1]:
        dst[b, j] = src[b, j] * rmask[b, j] if rmask.shape[0] > 0 else src[b, j]


def recurrent_input(hs, t, rmask, hm):
    """The state step t's recurrent product sees: hs[t], or hs[t] * rmask written to hm[t]."""
    if rmask.shape[0] == 0:
        return hs[t]
    _mask_state_kernel[step_grid(*rmask.shape), BLOCK_2D](hs, t, rmask, hm)
    return hm[t]


def carry_back(dpre_t, recurrent_kernel_t, rmask, scratch, dh):
    """dh = (dpre_t @ recurrent_kernel_t) * rmask: the gradient reaching the previous state
    (rmask may be empty); scratch is (B, u)."""
    matmul(dpre_t, recurrent_kernel_t, scratch)
    _masked_copy_kernel[step_grid(*dh.shape), BLOCK_2D](scratch, rmask, dh)


# -- LSTM ------------------------------------------------------------------------------------
def lstm_forward_steps(xp, recurrent_kernel, rmask, act, ract, hs, cs, gates, cell_act, hm, hp):
    """Run the LSTM over T steps; xp becomes the gate pre-activations, gates the activated
    i, f, c, o, cell_act the activation of each new cell state; hp is (B, 4u) scratch."""
    steps, batch, width = xp.shape
    grid = step_grid(batch, width // 4)
    for t in range(steps):
        matmul(recurrent_input(hs, t, rmask, hm), recurrent_kernel, hp)
        _lstm_gates_kernel[grid, BLOCK_2D](xp, hp, t, act, ract, hs, cs, gates, cell_act)


def lstm_backward_steps(dhs, recurrent_kernel_t, rmask, act, ract, cs, pre, gates, cell_act, dpre, dh, dc, scratch):
    """Backpropagate through time from dhs (T, B, u); writes dpre (T, B, 4u). dh, dc and
    scratch are (B, u) work arrays."""
    steps, batch, width = pre.shape
    grid = step_grid(batch, width // 4)
    dh[:] = 0.0
    dc[:] = 0.0
    for t in range(steps - 1, -1, -1):
        _lstm_gate_grads_kernel[grid, BLOCK_2D](dhs, t, act, ract, cs, pre, gates, cell_act, dpre, dh, dc)
        if t > 0:
            carry_back(dpre[t], recurrent_kernel_t, rmask, scratch, dh)


# -- SimpleRNN -------------------------------------------------------------------------------
@cuda.jit
def _simple_rnn_step_kernel(xp, hp, t, act, hs):
    b, j = cuda.grid(2)
    if b < hp.shape[0] and j < hp.shape[1]:
        xp[t, b, j] += hp[b, j]
        hs[t + 1, b, j] = scalar_forward(xp[t, b, j], act)


@cuda.jit
def _simple_rnn_grads_kernel(dhs, t, act, hs, pre, dpre, dh):
    b, j = cuda.grid(2)
    if b < dh.shape[0] and j < dh.shape[1]:
        dpre[t, b, j] = scalar_derivative(pre[t, b, j], hs[t + 1, b, j], act) * (dhs[t, b, j] + dh[b, j])


def simple_rnn_forward_steps(xp, recurrent_kernel, rmask, act, hs, hm, hp):
    """h_t = act(xp_t + h_{t-1} @ recurrent_kernel); xp becomes the pre-activations."""
    steps, batch, units = xp.shape
    grid = step_grid(batch, units)
    for t in range(steps):
        matmul(recurrent_input(hs, t, rmask, hm), recurrent_kernel, hp)
        _simple_rnn_step_kernel[grid, BLOCK_2D](xp, hp, t, act, hs)


def simple_rnn_backward_steps(dhs, recurrent_kernel_t, rmask, act, hs, pre, dpre, dh, scratch):
    """Writes dpre (T, B, u); dh and scratch are (B, u) work arrays."""
    steps, batch, units = pre.shape
    grid = step_grid(batch, units)
    dh[:] = 0.0
    for t in range(steps - 1, -1, -1):
        _simple_rnn_grads_kernel[grid, BLOCK_2D](dhs, t, act, hs, pre, dpre, dh)
        if t > 0:
            carry_back(dpre[t], recurrent_kernel_t, rmask, scratch, dh)
