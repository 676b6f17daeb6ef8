"""LSTM steps on the GPU: per time step one tiled matrix product for the recurrent input,
then one fused kernel over the step's gates (one thread per batch row and unit).

Layouts, gate order (Keras's i, f, c, o) and signatures are those of kernels/recurrent.py:
time-major xp (T, B, 4u) becomes the gate pre-activations, hs/cs (T+1, B, u) hold the
initial state at 0, `rmask` is the recurrent dropout mask (B, u) or an empty (0, 0) array,
and `hm` (T, B, u) then receives the masked states the products used. Backward stops at the
initial state (truncated BPTT, as Keras).
"""

from numba import cuda

from kernels.cuda.elementwise import scalar_derivative, scalar_forward
from kernels.cuda.matmul import matmul

_BLOCK_2D = (16, 16)


def _grid(batch, units):
    return ((batch + _BLOCK_2D[0] - 1) // _BLOCK_2D[0], (units + _BLOCK_2D[1] - 1) // _BLOCK_2D[1])


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


def lstm_forward_steps(xp, recurrent_kernel, rmask, act, ract, hs, cs, gates, cell_act, hm, hp):
    """Run the LSTM over T steps; xp becomes the gate pre-activations, gates the activated
    i, f, c, o, cell_act the activation of each new cell state; hp is (B, 4u) scratch."""
    steps, batch, width = xp.shape
    grid = _grid(batch, width // 4)
    for t in range(steps):
        h_in = hs[t]
        if rmask.shape[0]:
            _mask_state_kernel[grid, _BLOCK_2D](hs, t, rmask, hm)
            h_in = hm[t]
        matmul(h_in, recurrent_kernel, hp)
        _lstm_gates_kernel[grid, _BLOCK_2D](xp, hp, t, act, ract, hs, cs, gates, cell_act)


def lstm_backward_steps(dhs, recurrent_kernel_t, rmask, act, ract, cs, pre, gates, cell_act, dpre, dh, dc, scratch):
    """Backpropagate through time from dhs (T, B, u); writes dpre (T, B, 4u). dh, dc and
    scratch are (B, u) work arrays."""
    steps, batch, width = pre.shape
    grid = _grid(batch, width // 4)
    dh[:] = 0.0
    dc[:] = 0.0
    for t in range(steps - 1, -1, -1):
        _lstm_gate_grads_kernel[grid, _BLOCK_2D](dhs, t, act, ract, cs, pre, gates, cell_act, dpre, dh, dc)
        if t > 0:
            matmul(dpre[t], recurrent_kernel_t, scratch)
            _masked_copy_kernel[grid, _BLOCK_2D](scratch, rmask, dh)
