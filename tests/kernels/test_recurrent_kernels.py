"""Recurrent kernels against float64 numpy references on tiny shapes.

Forward kernels are compared with a plain numpy loop over time steps; backward kernels with
central differences of that float64 reference (with respect to the input projections and the
recurrent kernel), so the BPTT formulas are checked, not restated. Every case starts from a
non-zero initial state and runs with and without a recurrent dropout mask.
"""

import numpy as np
import pytest

from kernels import recurrent as K
from kernels.activations import SIGMOID, TANH
from kernels.dense import EMPTY

RNG = np.random.default_rng(3)
# 18 rows: the step kernels split them into two blocks of 9 (one a thread), and each block's
# products into chunks of 8 and 1 rows
STEPS, BATCH, UNITS = 3, 18, 3


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _mask(masked):
    return _f32(RNG.choice([0.0, 2.0], size=(BATCH, UNITS))) if masked else K.EMPTY2


def _numeric_grad(loss, array, step=1e-6):
    grad = np.empty_like(array)
    for index in np.ndindex(*array.shape):
        keep = array[index]
        array[index] = keep + step
        plus = loss()
        array[index] = keep - step
        minus = loss()
        array[index] = keep
        grad[index] = (plus - minus) / (2 * step)
    return grad


def _recurrent_in(h, rmask):
    return h * rmask if rmask.size else h


# -- float64 references: each returns the states hs (T+1, B, u), hs[0] = h0 -------------
def ref_lstm(xp, rk, h0, c0, rmask):
    hs, c = [h0], c0
    u = UNITS
    for t in range(xp.shape[0]):
        z = xp[t] + _recurrent_in(hs[-1], rmask) @ rk
        i, f, o = _sigmoid(z[:, :u]), _sigmoid(z[:, u : 2 * u]), _sigmoid(z[:, 3 * u :])
        g = np.tanh(z[:, 2 * u : 3 * u])
        c = f * c + i * g
        hs.append(o * np.tanh(c))
    return np.stack(hs)


def ref_simple_rnn(xp, rk, h0, rmask):
    hs = [h0]
    for t in range(xp.shape[0]):
        hs.append(np.tanh(xp[t] + _recurrent_in(hs[-1], rmask) @ rk))
    return np.stack(hs)


def ref_gru(xp, rk, rb, h0, rmask, reset_after):
    hs, u = [h0], UNITS
    for t in range(xp.shape[0]):
        h = hs[-1]
        hin = _recurrent_in(h, rmask)
        if reset_after:
            hp = hin @ rk + rb
            z, r = _sigmoid(xp[t, :, :u] + hp[:, :u]), _sigmoid(xp[t, :, u : 2 * u] + hp[:, u : 2 * u])
            hh = np.tanh(xp[t, :, 2 * u :] + r * hp[:, 2 * u :])
        else:
            hp = hin @ rk[:, : 2 * u]
            z, r = _sigmoid(xp[t, :, :u] + hp[:, :u]), _sigmoid(xp[t, :, u : 2 * u] + hp[:, u : 2 * u])
            hh = np.tanh(xp[t, :, 2 * u :] + (r * hin) @ rk[:, 2 * u :])
        hs.append(z * h + (1 - z) * hh)
    return np.stack(hs)


def _case(gates):
    xp = RNG.standard_normal((STEPS, BATCH, gates * UNITS))
    rk = RNG.standard_normal((UNITS, gates * UNITS)) * 0.6
    h0 = RNG.uniform(-0.8, 0.8, (BATCH, UNITS))
    return xp, rk, h0


def _states(h0):
    hs = np.empty((STEPS + 1, BATCH, UNITS), np.float32)
    hs[0] = h0
    return hs


def _hm(rmask):
    return np.empty((STEPS, BATCH, UNITS), np.float32) if rmask.size else K.EMPTY3


def _work(*widths):
    return [np.empty((BATCH, w), np.float32) for w in widths]


def _activated(values, act):
    """act(values) by the kernels' own inlined float32 gate functions: one SimpleRNN step with a
    zero recurrent kernel over a batch of single units."""
    n = values.size
    hs = np.zeros((2, n, 1), np.float32)
    K.simple_rnn_forward_steps(_f32(values.reshape(1, n, 1)), np.zeros((1, 1), np.float32), K.EMPTY2, act, hs,
                               K.EMPTY3, np.empty((n, 1), np.float32))
    return hs[1, :, 0]


@pytest.mark.parametrize("act, reference, tolerance", [(TANH, np.tanh, 4e-7), (SIGMOID, _sigmoid, 3e-7)])
def test_inlined_gate_activations_are_accurate(act, reference, tolerance):
    z = _f32(np.linspace(-30.0, 30.0, 60001))
    assert np.abs(_activated(z, act) - reference(z.astype(np.float64))).max() <= tolerance
    tiny = _f32(np.logspace(-30, -2, 200))
    if act == TANH:
        np.testing.assert_allclose(_activated(tiny, act), np.tanh(tiny.astype(np.float64)), rtol=3e-7)


def test_time_major_round_trip_reverses_and_masks():
    x = _f32(RNG.standard_normal((BATCH, STEPS, 4)))
    mask = _f32(RNG.choice([0.0, 2.0], size=(BATCH, 4)))
    out = np.empty((STEPS, BATCH, 4), np.float32)
    K.to_time_major(x, True, mask, out)
    np.testing.assert_array_equal(out, (x * mask[:, None, :])[:, ::-1].transpose(1, 0, 2))
    back = np.empty_like(x)
    K.from_time_major(out, True, K.EMPTY2, back)
    np.testing.assert_array_equal(back, x * mask[:, None, :])
    K.to_time_major(x, False, K.EMPTY2, out)
    np.testing.assert_array_equal(out, x.transpose(1, 0, 2))


@pytest.mark.parametrize("with_bias", [True, False])
def test_projections_and_their_gradients(with_bias):
    x_tm = _f32(RNG.standard_normal((STEPS, BATCH, 4)))
    kernel, bias = _f32(RNG.standard_normal((4, 6))), _f32(RNG.standard_normal(6)) if with_bias else EMPTY
    xp = np.empty((STEPS, BATCH, 6), np.float32)
    K.input_projection(x_tm, kernel, bias, xp)
    np.testing.assert_allclose(xp, x_tm @ kernel + (bias if with_bias else 0.0), rtol=1e-5, atol=1e-6)

    h_prev = _f32(RNG.standard_normal((STEPS, BATCH, 3)))
    dxp, dhp = _f32(RNG.standard_normal(xp.shape)), _f32(RNG.standard_normal(xp.shape))
    dkernel, drecurrent = np.empty((4, 6), np.float32), np.empty((3, 6), np.float32)
    dbias = np.empty(6, np.float32) if with_bias else EMPTY
    dx_tm = np.empty_like(x_tm)
    K.projection_backward(x_tm, kernel, h_prev, dxp, dhp, dkernel, drecurrent, dbias, dx_tm)
    np.testing.assert_allclose(dkernel, np.einsum("tbi,tbj->ij", x_tm, dxp), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(drecurrent, np.einsum("tbi,tbj->ij", h_prev, dhp), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx_tm, dxp @ kernel.T, rtol=1e-5, atol=1e-5)
    if with_bias:
        np.testing.assert_allclose(dbias, dxp.sum((0, 1)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_lstm_steps(masked):
    xp, rk, h0 = _case(4)
    c0 = RNG.uniform(-1, 1, (BATCH, UNITS))
    rmask = _mask(masked)
    hs, cs = _states(h0), _states(c0)
    pre = _f32(xp)
    gates = np.empty_like(pre)
    cell_act, hm = np.empty((STEPS, BATCH, UNITS), np.float32), _hm(rmask)
    (hp,) = _work(4 * UNITS)
    K.lstm_forward_steps(pre, _f32(rk), rmask, TANH, SIGMOID, hs, cs, gates, cell_act, hm, hp)
    np.testing.assert_allclose(hs, ref_lstm(xp, rk, h0, c0, rmask), atol=2e-6)
    np.testing.assert_allclose(cell_act, np.tanh(cs[1:]), atol=2e-6)

    dhs = _f32(RNG.standard_normal((STEPS, BATCH, UNITS)))
    dpre = np.empty_like(pre)
    K.lstm_backward_steps(
        dhs, _f32(rk).T, rmask, TANH, SIGMOID, cs, pre, gates, cell_act, dpre, *_work(UNITS, UNITS, UNITS)
    )

    def loss():
        return np.sum(ref_lstm(xp, rk, h0, c0, rmask)[1:] * dhs)

    np.testing.assert_allclose(dpre, _numeric_grad(loss, xp), atol=2e-5)
    h_in = hm if masked else hs[:-1]
    np.testing.assert_allclose(np.einsum("tbi,tbj->ij", h_in, dpre), _numeric_grad(loss, rk), atol=5e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_simple_rnn_steps(masked):
    xp, rk, h0 = _case(1)
    rmask = _mask(masked)
    hs, hm, pre = _states(h0), _hm(rmask), _f32(xp)
    (hp,) = _work(UNITS)
    K.simple_rnn_forward_steps(pre, _f32(rk), rmask, TANH, hs, hm, hp)
    np.testing.assert_allclose(hs, ref_simple_rnn(xp, rk, h0, rmask), atol=2e-6)

    dhs = _f32(RNG.standard_normal((STEPS, BATCH, UNITS)))
    dpre = np.empty_like(pre)
    K.simple_rnn_backward_steps(dhs, _f32(rk).T, rmask, TANH, hs, pre, dpre, *_work(UNITS, UNITS))

    def loss():
        return np.sum(ref_simple_rnn(xp, rk, h0, rmask)[1:] * dhs)

    np.testing.assert_allclose(dpre, _numeric_grad(loss, xp), atol=2e-5)
    h_in = hm if masked else hs[:-1]
    np.testing.assert_allclose(np.einsum("tbi,tbj->ij", h_in, dpre), _numeric_grad(loss, rk), atol=5e-5)


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("masked", [False, True])
def test_gru_reset_after_steps(masked, with_bias):
    xp, rk, h0 = _case(3)
    rb = RNG.standard_normal(3 * UNITS) if with_bias else np.zeros(3 * UNITS)
    rmask = _mask(masked)
    hs, hm, pre = _states(h0), _hm(rmask), _f32(xp)
    gates, rec_h = np.empty_like(pre), np.empty((STEPS, BATCH, UNITS), np.float32)
    (hp,) = _work(3 * UNITS)
    K.gru_forward_steps(pre, _f32(rk), _f32(rb) if with_bias else EMPTY, rmask, TANH, SIGMOID, hs, gates, rec_h, hm, hp)
    np.testing.assert_allclose(hs, ref_gru(xp, rk, rb, h0, rmask, True), atol=2e-6)

    dhs = _f32(RNG.standard_normal((STEPS, BATCH, UNITS)))
    dxp, dhp = np.empty_like(pre), np.empty_like(pre)
    K.gru_backward_steps(
        dhs, _f32(rk).T, rmask, TANH, SIGMOID, hs, pre, gates, rec_h, dxp, dhp, *_work(UNITS, UNITS, UNITS)
    )

    def loss():
        return np.sum(ref_gru(xp, rk, rb, h0, rmask, True)[1:] * dhs)

    np.testing.assert_allclose(dxp, _numeric_grad(loss, xp), atol=2e-5)
    h_in = hm if masked else hs[:-1]
    np.testing.assert_allclose(np.einsum("tbi,tbj->ij", h_in, dhp), _numeric_grad(loss, rk), atol=5e-5)
    np.testing.assert_allclose(dhp.sum((0, 1)), _numeric_grad(loss, rb), atol=5e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_gru_reset_before_steps(masked):
    xp, rk, h0 = _case(3)
    rmask = _mask(masked)
    u = UNITS
    hs, hm, pre = _states(h0), _hm(rmask), _f32(xp)
    gates, rh = np.empty_like(pre), np.empty((STEPS, BATCH, u), np.float32)
    kernel_zr, kernel_h = _f32(rk[:, : 2 * u]), _f32(rk[:, 2 * u :])
    K.gru_reset_before_forward_steps(
        pre, kernel_zr, kernel_h, rmask, TANH, SIGMOID, hs, gates, rh, hm, *_work(2 * u, u)
    )
    np.testing.assert_allclose(hs, ref_gru(xp, rk, None, h0, rmask, False), atol=2e-6)

    dhs = _f32(RNG.standard_normal((STEPS, BATCH, u)))
    dxp = np.empty_like(pre)
    K.gru_reset_before_backward_steps(
        dhs, kernel_zr.T, kernel_h.T, rmask, TANH, SIGMOID, hs, hm, pre, gates, dxp, *_work(u, u, u, 2 * u, u, u)
    )

    def loss():
        return np.sum(ref_gru(xp, rk, None, h0, rmask, False)[1:] * dhs)

    np.testing.assert_allclose(dxp, _numeric_grad(loss, xp), atol=2e-5)
    h_in = hm if masked else hs[:-1]
    drk = np.concatenate(
        [np.einsum("tbi,tbj->ij", h_in, dxp[..., : 2 * u]), np.einsum("tbi,tbj->ij", rh, dxp[..., 2 * u :])], axis=1
    )
    np.testing.assert_allclose(drk, _numeric_grad(loss, rk), atol=5e-5)


@pytest.mark.parametrize("batch, blocks", [(1, 1), (3, 1), (11, 1), (12, 2), (18, 2), (20, 4), (40, 8), (64, 8), (100, 16)])
def test_a_batch_is_split_into_a_power_of_two_of_near_equal_blocks(batch, blocks):
    assert K._row_blocks(batch) == blocks
    sizes = [np.subtract(*K._block_rows(b, blocks, batch)[::-1]) for b in range(blocks)]
    assert sum(sizes) == batch and max(sizes) - min(sizes) <= 1


def test_column_sums_add_up_every_row():
    a = _f32(RNG.standard_normal((37, 12)))
    out = np.full(12, np.nan, np.float32)
    K.column_sums(a, out)
    np.testing.assert_allclose(out, a.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-5)
