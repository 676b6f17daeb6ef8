"""The CUDA LSTM steps (fused gates) against the CPU kernels, with and without a recurrent
dropout mask (simulator)."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import recurrent as cpu  # noqa: E402
from kernels.activations import SIGMOID, TANH  # noqa: E402
from kernels.cuda import recurrent as gpu  # noqa: E402

RNG = np.random.default_rng(4)
STEPS, BATCH, UNITS = 3, 2, 3


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("masked", [False, True])
def test_lstm_forward_and_backward_steps_match_cpu(masked):
    xp, rk, dhs = rand(STEPS, BATCH, 4 * UNITS), rand(UNITS, 4 * UNITS) * np.float32(0.5), rand(STEPS, BATCH, UNITS)
    hs, cs = np.zeros((STEPS + 1, BATCH, UNITS), np.float32), np.zeros((STEPS + 1, BATCH, UNITS), np.float32)
    hs[0], cs[0] = rand(BATCH, UNITS), rand(BATCH, UNITS)
    if masked:
        rmask = RNG.choice([0.0, 2.0], size=(BATCH, UNITS)).astype(np.float32)
        hm = np.zeros((STEPS, BATCH, UNITS), np.float32)
    else:
        rmask, hm = cpu.EMPTY2, cpu.EMPTY3
    d = cuda.to_device
    g = dict(xp=d(xp), hs=d(hs), cs=d(cs), hm=d(hm), rmask=d(rmask),
             gates=cuda.device_array(xp.shape, np.float32),
             cell_act=cuda.device_array((STEPS, BATCH, UNITS), np.float32))

    gates, cell_act = np.empty_like(xp), np.empty((STEPS, BATCH, UNITS), np.float32)
    cpu.lstm_forward_steps(xp, rk, rmask, TANH, SIGMOID, hs, cs, gates, cell_act, hm,
                           np.empty((BATCH, 4 * UNITS), np.float32))
    gpu.lstm_forward_steps(g["xp"], d(rk), g["rmask"], TANH, SIGMOID, g["hs"], g["cs"], g["gates"], g["cell_act"],
                           g["hm"], cuda.device_array((BATCH, 4 * UNITS), np.float32))
    for name, expected in (("xp", xp), ("hs", hs), ("cs", cs), ("gates", gates), ("cell_act", cell_act), ("hm", hm)):
        np.testing.assert_allclose(g[name].copy_to_host(), expected, rtol=1e-5, atol=1e-5, err_msg=name)

    rk_t = np.ascontiguousarray(rk.T)
    dpre = np.empty_like(xp)
    work = [np.empty((BATCH, UNITS), np.float32) for _ in range(3)]
    cpu.lstm_backward_steps(dhs, rk_t, rmask, TANH, SIGMOID, cs, xp, gates, cell_act, dpre, *work)
    dpre_gpu = cuda.device_array(xp.shape, np.float32)
    gpu.lstm_backward_steps(d(dhs), d(rk_t), g["rmask"], TANH, SIGMOID, g["cs"], g["xp"], g["gates"], g["cell_act"],
                            dpre_gpu, *[cuda.device_array((BATCH, UNITS), np.float32) for _ in range(3)])
    np.testing.assert_allclose(dpre_gpu.copy_to_host(), dpre, rtol=1e-5, atol=1e-5)
