"""GRU, SimpleRNN and stateful recurrent layers on device="cuda" (Numba's CUDA simulator)
agreeing with the CPU within 1e-4: the forward pass and one training step (dropout draws and
all), and for stateful layers the states carried across fit and predict calls and cleared by
reset_states. Tiny models (batch 2, 2 steps, 1-2 units): every simulated GPU thread runs in
Python."""

import numpy as np
import pytest

pytest.importorskip("numba.cuda")

from builder import Sequential, layers, optimizers, set_random_seed  # noqa: E402
from cuda_twins import TOLERANCE, check_forward_and_one_step, rand, twins  # noqa: E402


def sgd():
    return optimizers.SGD(learning_rate=0.1)


@pytest.mark.parametrize("sequences, reset_after", [(True, True), (False, False)])
def test_gru_with_dropouts(sequences, reset_after):
    def make():
        return Sequential([layers.GRU(2, return_sequences=sequences, go_backwards=sequences,
                                      reset_after=reset_after, dropout=0.3, recurrent_dropout=0.3,
                                      input_shape=(2, 2))])

    y = rand(2, 2, 2, seed=1) if sequences else rand(2, 2, seed=1)
    check_forward_and_one_step(make, rand(2, 2, 2), y, sgd, "mse")


def test_simple_rnn_with_dropouts_under_a_dense_head():
    def make():
        return Sequential([layers.SimpleRNN(2, dropout=0.3, recurrent_dropout=0.3, go_backwards=True,
                                            input_shape=(2, 2)),
                           layers.Dense(1, activation="sigmoid")])

    check_forward_and_one_step(make, rand(2, 2, 2), np.array([[0.0], [1.0]], np.float32),
                               lambda: optimizers.Adam(learning_rate=0.05), "binary_crossentropy", ["accuracy"])


def stateful_stack():
    """Each recurrent layer stateful, stacked: h (and the LSTM's c) carried per sample row."""
    return Sequential([layers.SimpleRNN(2, stateful=True, return_sequences=True, batch_input_shape=(2, 2, 2)),
                       layers.GRU(1, stateful=True, return_sequences=True), layers.LSTM(1, stateful=True)])


def assert_same_states(gpu, cpu):
    for got_layer, expected_layer in zip(gpu.layers, cpu.layers):
        for got, expected in zip(got_layer.states, expected_layer.states):
            np.testing.assert_allclose(got, expected, **TOLERANCE)


def test_stateful_layers_carry_states_across_fit_and_predict_and_reset_clears_them():
    cpu, gpu = twins(stateful_stack, sgd, "mse", None)
    x, y = rand(4, 2, 2), rand(4, 1, seed=1)
    for call in range(2):  # two batches per call: the states carry within and between calls
        histories = []
        for model in (cpu, gpu):
            set_random_seed(7)
            histories.append(model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0).history)
        np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], **TOLERANCE, err_msg=f"fit {call}")
        assert_same_states(gpu, cpu)
    assert np.abs(gpu.layers[2].states[1]).max() > 0, "the LSTM's cell state was not carried"
    for got, expected in zip(gpu.get_weights(), cpu.get_weights()):
        np.testing.assert_allclose(got, expected, **TOLERANCE)

    carried = gpu.predict(x[:2], verbose=0)
    np.testing.assert_allclose(carried, cpu.predict(x[:2], verbose=0), **TOLERANCE)
    assert_same_states(gpu, cpu)
    for model in (cpu, gpu):
        model.reset_states()
    assert all(not state.any() for layer in gpu.layers for state in layer.states)
    fresh = gpu.predict(x[:2], verbose=0)
    np.testing.assert_allclose(fresh, cpu.predict(x[:2], verbose=0), **TOLERANCE)
    assert not np.allclose(fresh, carried), "the prediction did not depend on the carried states"
