"""Each supported layer family on device="cuda" (Numba's CUDA simulator) agreeing with the
CPU within 1e-4: the forward pass, then one training step through fit (dropout draws and
all), with the trained weights back through get_weights. Tiny models (batch 2-4): every
simulated GPU thread runs in Python, a tiled product costs a fraction of a second."""

import numpy as np
import pytest

pytest.importorskip("numba.cuda")

from builder import Sequential, layers, optimizers  # noqa: E402
from cuda_twins import check_forward_and_one_step, rand  # noqa: E402


def mlp():
    return Sequential([layers.Dense(5, activation="relu", input_shape=(4,)), layers.Dropout(0.25),
                       layers.Dense(3, activation="softmax")])


def test_dense_mlp_with_dropout():
    y = np.eye(3, dtype=np.float32)[[0, 2, 1, 0]]
    check_forward_and_one_step(mlp, rand(4, 4), y, lambda: optimizers.Adam(learning_rate=0.05),
                               "categorical_crossentropy", ["accuracy"])


def test_conv2d_with_max_pooling():
    def make():
        return Sequential([layers.Conv2D(2, 3, padding="same", activation="relu", input_shape=(4, 4, 2)),
                           layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2, activation="softmax")])

    y = np.eye(2, dtype=np.float32)[[0, 1]]
    check_forward_and_one_step(make, rand(2, 4, 4, 2), y,
                               lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                               "categorical_crossentropy")


def test_conv1d_with_average_and_global_pooling():
    def make():
        return Sequential([layers.Conv1D(2, 2, padding="causal", activation="tanh", input_shape=(4, 2)),
                           layers.AveragePooling1D(2), layers.GlobalMaxPooling1D(),
                           layers.Dense(1, activation="sigmoid")])

    check_forward_and_one_step(make, rand(2, 4, 2), np.array([[0.0], [1.0]], np.float32),
                               lambda: optimizers.RMSprop(learning_rate=0.01), "binary_crossentropy", ["accuracy"])


@pytest.mark.parametrize("sequences", [True, False])
def test_lstm_with_dropouts(sequences):
    """The LSTM's output is the model's (each tiled product costs seconds in the simulator)."""
    def make():
        return Sequential([layers.LSTM(1, return_sequences=sequences, go_backwards=sequences, dropout=0.3,
                                       recurrent_dropout=0.3, input_shape=(2, 2))])

    y = rand(2, 2, 1, seed=1) if sequences else rand(2, 1, seed=1)
    check_forward_and_one_step(make, rand(2, 2, 2), y, lambda: optimizers.SGD(learning_rate=0.1), "mse")
