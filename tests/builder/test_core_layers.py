"""Core layers: finite-difference gradients, Keras numerics, shape rules."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients
from reference import keras_or_skip

from builder import ShapeError, layers
from builder.activations import ACTIVATION_NAMES
from builder.random import set_random_seed

RNG = np.random.default_rng(7)


def built(layer, input_shape):
    layer.build((None, *input_shape), np.random.default_rng(0))
    return layer


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_dense_gradients_for_every_activation(activation):
    layer = built(layers.Dense(5, activation=activation), (4,))
    check_layer_gradients(layer, RNG.standard_normal((3, 4)))


def test_dense_without_bias_and_on_rank_3():
    check_layer_gradients(built(layers.Dense(3, use_bias=False), (2, 4)), RNG.standard_normal((3, 2, 4)))
    check_layer_gradients(built(layers.Dense(3, activation="tanh"), (2, 4)), RNG.standard_normal((3, 2, 4)))


@pytest.mark.parametrize("activation", ["relu", "softmax", "sigmoid", "gelu"])
def test_activation_layer_gradients(activation):
    check_layer_gradients(built(layers.Activation(activation), (2, 5)), RNG.standard_normal((3, 2, 5)))


def test_dropout_gradient_with_fixed_mask():
    layer = built(layers.Dropout(0.4), (6,))
    check_layer_gradients(layer, RNG.standard_normal((4, 6)), training=True, reseed=lambda: set_random_seed(3))


def test_dropout_scales_kept_units_and_is_identity_in_inference():
    layer = built(layers.Dropout(0.5), (1000,))
    x = np.ones((4, 1000), np.float32)
    y = layer.forward(x, training=True)
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 2.0)
    assert 0.4 < kept.size / y.size < 0.6
    assert layer.forward(x, training=False) is x


def test_flatten_and_reshape_gradients():
    check_layer_gradients(built(layers.Flatten(), (2, 3)), RNG.standard_normal((2, 2, 3)))
    check_layer_gradients(built(layers.Reshape((-1, 2)), (6,)), RNG.standard_normal((2, 6)))


def test_shape_rules():
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 6)) == (None, 3, 2)
    assert layers.Flatten().compute_output_shape((None, 2, 3, 4)) == (None, 24)
    assert layers.Dense(7).compute_output_shape((8, 2, 3)) == (8, 2, 7)
    with pytest.raises(ShapeError, match="cannot be reshaped"):
        layers.Reshape((-1, 4)).compute_output_shape((None, 6))
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        layers.Dense(3).compute_output_shape((None,))


def test_glorot_uniform_default_limits():
    layer = built(layers.Dense(50), (30,))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (30 + 50))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert not bias.any()


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_dense_matches_keras(activation):
    keras = keras_or_skip()
    ours = built(layers.Dense(6, activation=activation), (5,))
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    theirs = keras.layers.Dense(6, activation=activation)
    theirs.build((None, 5))
    theirs.set_weights(ours.get_weights())
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(ours.forward(x), expected, rtol=1e-5, atol=1e-6)
