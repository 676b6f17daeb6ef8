"""to_categorical and parameter validation details."""

import numpy as np
import pytest

from builder import ConfigError, DataError, layers, to_categorical


def test_to_categorical_like_keras():
    out = to_categorical(np.array([[0], [2], [1]]), num_classes=4)
    np.testing.assert_array_equal(out, [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]])
    assert out.dtype == np.float32
    assert to_categorical([1.0, 0.0]).shape == (2, 2)
    with pytest.raises(DataError, match="does not fit num_classes=2"):
        to_categorical([0, 2], num_classes=2)
    with pytest.raises(DataError, match="whole numbers"):
        to_categorical([0.5])
    with pytest.raises(DataError, match="negative"):
        to_categorical([-1, 1])


def test_common_layer_arguments():
    assert layers.Dense(3, input_dim=5).input_shape_arg == (5,)
    with pytest.raises(ConfigError, match="None dimension"):
        layers.Dense(3, input_shape=(None, 4))
    with pytest.raises(ConfigError, match="input_shape or batch_input_shape"):
        layers.Dense(3, input_shape=(4,), batch_input_shape=(2, 4))
    with pytest.raises(ConfigError, match="invalid name"):
        layers.Dense(3, name="bad name!")
    with pytest.raises(ConfigError, match="float32"):
        layers.Dense(3, dtype="float64")
    with pytest.raises(ConfigError, match="two values"):
        layers.Dense(3, units=4)


def test_config_round_trip_of_every_core_layer():
    for layer in (layers.Dense(3, activation="relu", use_bias=False), layers.Dropout(0.3, seed=1),
                  layers.Activation("tanh"), layers.Reshape((2, -1)), layers.Flatten()):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()
