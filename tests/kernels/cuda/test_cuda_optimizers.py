"""Each CUDA optimizer update against its CPU twin over three steps (simulator)."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import optimizers as cpu  # noqa: E402
from kernels.cuda import optimizers as gpu  # noqa: E402

N = 150  # two blocks of 128 threads
RNG = np.random.default_rng(1)


def _run_both(name, scalars, slots):
    """Three steps of `name` on the same params/grads/slots, CPU and GPU; returns both states."""
    params = RNG.standard_normal(N).astype(np.float32)
    grads = [RNG.standard_normal(N).astype(np.float32) for _ in range(3)]
    init = [np.zeros(N, np.float32) for _ in range(slots)]
    cpu_state = [params.copy()] + [s.copy() for s in init]
    gpu_state = [cuda.to_device(params)] + [cuda.to_device(s) for s in init]
    for g in grads:
        getattr(cpu, name)(cpu_state[0], g, *scalars, *cpu_state[1:])
        getattr(gpu, name)(gpu_state[0], cuda.to_device(g), *scalars, *gpu_state[1:])
    return cpu_state, [a.copy_to_host() for a in gpu_state]


def _assert_same(cpu_state, gpu_state):
    for c, g in zip(cpu_state, gpu_state):
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-6)


CASES = {
    "sgd": [("sgd_update", (1.0, 0.0, 0.1, 0.0, False), 1),
            ("sgd_update", (0.5, 0.3, 0.1, 0.9, False), 1),
            ("sgd_update", (1.0, 0.0, 0.1, 0.9, True), 1)],
    "rmsprop": [("rmsprop_update", (1.0, 0.0, 0.01, 0.9, 1e-7, 0.0, False), 3),
                ("rmsprop_update", (0.7, 0.5, 0.01, 0.9, 1e-7, 0.5, True), 3)],
    "adagrad": [("adagrad_update", (1.0, 0.2, 0.01, 1e-7), 1)],
    "adam": [("adam_update", (1.0, 0.0, 0.001, 0.9, 0.999, 1e-7, False), 3),
             ("adam_update", (0.8, 0.4, 0.001, 0.9, 0.999, 1e-7, True), 3)],
    "adadelta": [("adadelta_update", (1.0, 0.0, 1.0, 0.95, 1e-7), 2)],
    "adamax": [("adamax_update", (1.0, 0.0, 0.002, 0.9, 0.999, 1e-7, 0.1), 2)],
    "nadam": [("nadam_update", (1.0, 0.0, 0.002, 0.9, 0.999, 1e-7, 0.9, 0.1, 0.001), 2)],
}


@pytest.mark.parametrize("name,scalars,slots",
                         [case for cases in CASES.values() for case in cases])
def test_update_matches_cpu(name, scalars, slots):
    _assert_same(*_run_both(name, scalars, slots))


def test_squared_norm_matches_cpu():
    x = RNG.standard_normal(N).astype(np.float32)
    total = cuda.device_array(1, np.float64)
    gpu.squared_norm(cuda.to_device(x), total)
    np.testing.assert_allclose(total.copy_to_host()[0], cpu.squared_norm(x), rtol=1e-10)
