"""Twin models for the CUDA tests: the same model on the CPU and on device="cuda" (Numba's
simulator under pytest), with the same initial weights and the same random draws."""

import numpy as np

from builder import set_random_seed

TOLERANCE = dict(rtol=1e-4, atol=1e-4)


def twins(make, optimizer, loss, metrics):
    """The same model twice, with the same initial weights: on the CPU, and on CUDA."""
    set_random_seed(1)
    cpu, gpu = make(), make()
    cpu.build()
    gpu.build()
    gpu.set_weights(cpu.get_weights())
    cpu.compile(optimizer(), loss, metrics=metrics, device="cpu")
    gpu.compile(optimizer(), loss, metrics=metrics, device="cuda")
    return cpu, gpu


def check_forward_and_one_step(make, x, y, optimizer, loss, metrics=None):
    cpu, gpu = twins(make, optimizer, loss, metrics)
    initial = gpu.get_weights()
    np.testing.assert_allclose(gpu.predict(x, verbose=0), cpu.predict(x, verbose=0), **TOLERANCE)
    histories = [fit_seeded(model, x, y, epochs=1) for model in (cpu, gpu)]
    assert histories[1].keys() == histories[0].keys()
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], **TOLERANCE, err_msg=key)
    trained = gpu.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(trained, initial)), "the step changed no weight"
    for got, expected in zip(trained, cpu.get_weights()):
        np.testing.assert_allclose(got, expected, **TOLERANCE)


def fit_seeded(model, x, y, epochs, callbacks=None):
    set_random_seed(7)  # the same shuffle and dropout draws on both devices
    return model.fit(x, y, batch_size=len(x), epochs=epochs, verbose=0, callbacks=callbacks).history


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
