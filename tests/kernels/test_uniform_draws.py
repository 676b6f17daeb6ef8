"""Dropout's uniform draws: in [0, 1), uniform, set by the seed alone, and the same whether one
thread or many made them."""

import numpy as np

from kernels.elementwise import PARALLEL_DRAWS, uniform_fill


def draws(size: int, seed: int) -> np.ndarray:
    out = np.empty(size, np.float32)
    uniform_fill(out, seed)
    return out


def test_the_draws_are_uniform_on_the_unit_interval():
    u = draws(1 << 20, 7)
    assert 0.0 <= u.min() and u.max() < 1.0
    counts, _ = np.histogram(u, bins=16, range=(0.0, 1.0))
    np.testing.assert_allclose(counts / u.size, 1 / 16, rtol=0.02)
    assert abs(u.mean() - 0.5) < 2e-3 and abs(u.var() - 1 / 12) < 1e-3
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5e-3  # neighbours independent


def test_the_seed_alone_sets_the_draws_on_any_number_of_threads():
    many = draws(PARALLEL_DRAWS + 12345, 42)  # split over the threads
    one = draws(PARALLEL_DRAWS - 1, 42)  # one thread
    np.testing.assert_array_equal(many[: one.size], one)
    np.testing.assert_array_equal(many, draws(many.size, 42))
    assert np.mean(many == draws(many.size, 43)) < 1e-3
