"""The CUDA GRU (reset after and before the recurrent product) and SimpleRNN steps against the
CPU kernels, forward and BPTT, with and without a recurrent dropout mask (simulator, tiny
shapes: every simulated GPU thread runs in Python)."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import recurrent as cpu  # noqa: E402
from kernels.activations import SIGMOID, TANH  # noqa: E402
from kernels.cuda import gru as gpu_gru  # noqa: E402
from kernels.cuda import recurrent as gpu  # noqa: E402

STEPS, BATCH, UNITS = 2, 2, 2
CLOSE = dict(rtol=1e-5, atol=1e-5)


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


class Case:
    """One kernel's inputs on the host (run by the CPU kernel) and copies on the device."""

    def __init__(self, gates, masked, seed):
        rng = np.random.default_rng(seed)
        width = gates * UNITS
        self.xp, self.dhs = rand(rng, STEPS, BATCH, width), rand(rng, STEPS, BATCH, UNITS)
        self.rk = rand(rng, UNITS, width) * np.float32(0.5)
        self.rk_t = np.ascontiguousarray(self.rk.T)
        self.hs = np.zeros((STEPS + 1, BATCH, UNITS), np.float32)
        self.hs[0] = rand(rng, BATCH, UNITS)
        if masked:
            self.rmask = rng.choice([0.0, 2.0], size=(BATCH, UNITS)).astype(np.float32)
            self.hm = np.zeros((STEPS, BATCH, UNITS), np.float32)
        else:
            self.rmask, self.hm = cpu.EMPTY2, cpu.EMPTY3
        self.host = {}
        self.device = {}

    def arrays(self, **shapes):
        """Fresh (host, device) pairs of zeros for each named output or work array."""
        for name, shape in shapes.items():
            self.host[name] = np.zeros(shape, np.float32)
            self.device[name] = cuda.to_device(self.host[name])

    def on_device(self, *names):
        for name in names:
            self.host[name] = getattr(self, name)
            self.device[name] = cuda.to_device(self.host[name])
        return [self.device[name] for name in names]

    def check(self, *names):
        for name in names:
            np.testing.assert_allclose(self.device[name].copy_to_host(), self.host[name], **CLOSE, err_msg=name)


@pytest.mark.parametrize("masked", [False, True])
def test_simple_rnn_forward_and_backward_steps_match_cpu(masked):
    c = Case(1, masked, seed=1)
    xp, rk, rk_t, rmask, hs, hm, dhs = c.on_device("xp", "rk", "rk_t", "rmask", "hs", "hm", "dhs")
    c.arrays(hp=(BATCH, UNITS), dpre=c.xp.shape, dh=(BATCH, UNITS), scratch=(BATCH, UNITS))
    h, d = c.host, c.device
    cpu.simple_rnn_forward_steps(h["xp"], c.rk, c.rmask, TANH, h["hs"], h["hm"], h["hp"])
    gpu.simple_rnn_forward_steps(xp, rk, rmask, TANH, hs, hm, d["hp"])
    c.check("xp", "hs", "hm")
    cpu.simple_rnn_backward_steps(c.dhs, c.rk_t, c.rmask, TANH, h["hs"], h["xp"], h["dpre"], h["dh"], h["scratch"])
    gpu.simple_rnn_backward_steps(dhs, rk_t, rmask, TANH, hs, xp, d["dpre"], d["dh"], d["scratch"])
    c.check("dpre")


@pytest.mark.parametrize("masked, with_bias", [(False, True), (True, False)])
def test_gru_reset_after_steps_match_cpu(masked, with_bias):
    c = Case(3, masked, seed=2)
    c.bias = rand(np.random.default_rng(3), 3 * UNITS) if with_bias else np.empty(0, np.float32)
    xp, rk, rk_t, rmask, hs, hm, dhs, bias = c.on_device("xp", "rk", "rk_t", "rmask", "hs", "hm", "dhs", "bias")
    c.arrays(gates=c.xp.shape, rec_h=(STEPS, BATCH, UNITS), hp=(BATCH, 3 * UNITS), dxp=c.xp.shape,
             dhp=c.xp.shape, dh=(BATCH, UNITS), direct=(BATCH, UNITS), scratch=(BATCH, UNITS))
    h, d = c.host, c.device
    cpu.gru_forward_steps(h["xp"], c.rk, c.bias, c.rmask, TANH, SIGMOID, h["hs"], h["gates"], h["rec_h"], h["hm"],
                          h["hp"])
    gpu_gru.gru_forward_steps(xp, rk, bias, rmask, TANH, SIGMOID, hs, d["gates"], d["rec_h"], hm, d["hp"])
    c.check("xp", "hs", "gates", "rec_h", "hm")
    cpu.gru_backward_steps(c.dhs, c.rk_t, c.rmask, TANH, SIGMOID, h["hs"], h["xp"], h["gates"], h["rec_h"], h["dxp"],
                           h["dhp"], h["dh"], h["direct"], h["scratch"])
    gpu_gru.gru_backward_steps(dhs, rk_t, rmask, TANH, SIGMOID, hs, xp, d["gates"], d["rec_h"], d["dxp"], d["dhp"],
                               d["dh"], d["direct"], d["scratch"])
    c.check("dxp", "dhp")


@pytest.mark.parametrize("masked", [False, True])
def test_gru_reset_before_steps_match_cpu(masked):
    """The recurrent kernel's column blocks go in as strided device views, as the executor passes them."""
    c = Case(3, masked, seed=4)
    xp, rk, rk_t, rmask, hs, hm, dhs = c.on_device("xp", "rk", "rk_t", "rmask", "hs", "hm", "dhs")
    c.arrays(gates=c.xp.shape, rh=(STEPS, BATCH, UNITS), hp_zr=(BATCH, 2 * UNITS), hp_h=(BATCH, UNITS),
             dxp=c.xp.shape, dh=(BATCH, UNITS), direct=(BATCH, UNITS), d_hh=(BATCH, UNITS),
             d_zr=(BATCH, 2 * UNITS), d_rh=(BATCH, UNITS), scratch=(BATCH, UNITS))
    h, d = c.host, c.device
    zr, hh = np.ascontiguousarray(c.rk[:, : 2 * UNITS]), np.ascontiguousarray(c.rk[:, 2 * UNITS :])
    cpu.gru_reset_before_forward_steps(h["xp"], zr, hh, c.rmask, TANH, SIGMOID, h["hs"], h["gates"], h["rh"],
                                       h["hm"], h["hp_zr"], h["hp_h"])
    gpu_gru.gru_reset_before_forward_steps(xp, rk[:, : 2 * UNITS], rk[:, 2 * UNITS :], rmask, TANH, SIGMOID, hs,
                                           d["gates"], d["rh"], hm, d["hp_zr"], d["hp_h"])
    c.check("xp", "hs", "gates", "rh", "hm")
    work = ("dxp", "dh", "direct", "d_hh", "d_zr", "d_rh", "scratch")
    cpu.gru_reset_before_backward_steps(c.dhs, zr.T, hh.T, c.rmask, TANH, SIGMOID, h["hs"], h["hm"], h["xp"],
                                        h["gates"], *(h[k] for k in work))
    gpu_gru.gru_reset_before_backward_steps(dhs, rk_t[: 2 * UNITS], rk_t[2 * UNITS :], rmask, TANH, SIGMOID, hs, hm,
                                            xp, d["gates"], *(d[k] for k in work))
    c.check("dxp")
