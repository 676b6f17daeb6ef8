"""Compute calls from several threads are serialised, never concurrent inside the kernels."""

import threading

import numpy as np

from builder import Sequential, layers, set_random_seed
from builder.threads import compute_lock


def test_predict_from_two_threads_gives_the_same_answers():
    set_random_seed(0)
    model = Sequential([layers.Conv1D(8, 3, activation="relu", input_shape=(40, 6)), layers.GlobalMaxPooling1D(),
                        layers.Dense(2, activation="softmax")])
    x = np.random.default_rng(0).random((64, 40, 6)).astype(np.float32)
    expected = model.predict(x)
    results, errors = [], []

    def work():
        try:
            for _ in range(10):
                results.append(model.predict(x))
        except Exception as err:  # noqa: BLE001  (reported below)
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 20
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_the_lock_is_reentrant_for_callbacks():
    with compute_lock:
        with compute_lock:
            pass
