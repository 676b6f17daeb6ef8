"""BatchNormalization and LayerNormalization: finite-difference gradients in training and
inference, Keras 3 numerics with our weights copied in, moving statistics, parameter counts,
argument and shape errors."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients
from reference import keras_or_skip

from builder import ConfigError, Sequential, ShapeError, layers
from builder.catalog import layer_from_config

RNG = np.random.default_rng(5)


def built(layer, input_shape, randomise=True):
    """The layer built for input_shape, its weights drawn away from the 0/1 initial values."""
    layer.build((None, *input_shape), np.random.default_rng(0))
    if randomise:
        for w in layer.weights:
            w.value[...] = RNG.uniform(0.5, 1.5, w.value.shape)
    return layer


def sample(*shape):
    return (1.0 + 2.0 * RNG.standard_normal(shape)).astype(np.float32)


def keras_twin(keras, ours, cls, input_shape, **kwargs):
    theirs = getattr(keras.layers, cls)(**kwargs)
    theirs.build((None, *input_shape))
    theirs.set_weights(ours.get_weights())
    return theirs


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False), (False, False)])
def test_batch_norm_gradients(training, center, scale):
    layer = built(layers.BatchNormalization(center=center, scale=scale), (3, 4))
    check_layer_gradients(layer, sample(5, 3, 4), training=training)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("axis, shape", [(1, (3, 4)), (-2, (3, 4)), (1, (3, 2, 2)), (2, (2, 3, 2))])
def test_batch_norm_gradients_on_other_axes(training, axis, shape):
    layer = built(layers.BatchNormalization(axis=axis), shape)
    check_layer_gradients(layer, sample(4, *shape), training=training)


@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("center, scale", [(True, True), (False, False)])
def test_layer_norm_gradients(axis, center, scale):
    layer = built(layers.LayerNormalization(axis=axis, center=center, scale=scale), (3, 5))
    check_layer_gradients(layer, sample(4, 3, 5))


def test_batch_norm_weight_gradients_without_input_gradient():
    layer = built(layers.BatchNormalization(), (4,))
    check_layer_gradients(layer, sample(6, 4), training=True, check_input=False)


def test_batch_norm_training_normalises_and_updates_moving_statistics():
    layer = built(layers.BatchNormalization(momentum=0.9), (3,), randomise=False)
    x = sample(64, 3)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(0), x.var(0) / (x.var(0) + 1e-3), rtol=1e-4)
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    np.testing.assert_allclose(moving_mean, 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(moving_variance, 0.9 + 0.1 * x.var(0), rtol=1e-5)
    before = layer.get_weights()
    layer.forward(x, training=False)
    for a, b in zip(before, layer.get_weights()):
        assert np.array_equal(a, b)


def test_frozen_batch_norm_uses_moving_statistics_even_in_training():
    layer = built(layers.BatchNormalization(trainable=False), (3,))
    x = sample(8, 3)
    before = layer.get_weights()
    np.testing.assert_array_equal(layer.forward(x, training=True), layer.forward(x, training=False))
    for a, b in zip(before, layer.get_weights()):
        assert np.array_equal(a, b)
    check_layer_gradients(layer, x, training=True)


@pytest.mark.parametrize("axis, shape", [(-1, (5, 4)), (1, (3, 4)), (-1, (2, 3, 4))])
def test_batch_norm_matches_keras(axis, shape):
    keras = keras_or_skip()
    ours = built(layers.BatchNormalization(axis=axis, momentum=0.8), shape)
    theirs = keras_twin(keras, ours, "BatchNormalization", shape, axis=axis, momentum=0.8)
    x = sample(6, *shape)
    for training in (False, True):
        expected = keras.ops.convert_to_numpy(theirs(x, training=training))
        np.testing.assert_allclose(ours.forward(x, training=training), expected, rtol=1e-4, atol=1e-4)
    # after one training call each, the moving statistics agree too
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)
    expected = keras.ops.convert_to_numpy(theirs(x, training=False))
    np.testing.assert_allclose(ours.forward(x, training=False), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(3, 6), (7,), (2, 3, 4)])
def test_layer_norm_matches_keras(shape):
    keras = keras_or_skip()
    ours = built(layers.LayerNormalization(epsilon=1e-2), shape)
    theirs = keras_twin(keras, ours, "LayerNormalization", shape, epsilon=1e-2)
    x = sample(4, *shape)
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(ours.forward(x), expected, rtol=1e-4, atol=1e-4)


def test_layer_norm_on_a_middle_axis():
    """Keras 3.15 on torch fails on axis=1 of a 3-D input (it hands torch's layer_norm a
    non-trailing shape), so this case is checked against the formula Keras documents."""
    layer = built(layers.LayerNormalization(axis=1), (3, 6))
    x = sample(4, 3, 6).astype(np.float64)
    gamma, beta = (w.value.reshape(1, 3, 1) for w in layer.weights)
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer.forward(x.astype(np.float32)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (False, False)])
def test_parameter_counts_and_weight_order_match_keras(center, scale):
    keras = keras_or_skip()
    ours = layers.BatchNormalization(center=center, scale=scale)
    theirs = keras.layers.BatchNormalization(center=center, scale=scale)
    theirs.build((None, 8, 64))
    assert [s.name for s in ours.weight_specs((None, 8, 64))] == [w.name for w in theirs.weights]
    non_trainable = sum(int(np.prod(w.shape)) for w in theirs.non_trainable_weights)
    assert ours.count_params_for((None, 8, 64)) == (theirs.count_params() - non_trainable, non_trainable)
    ours_ln = layers.LayerNormalization(center=center, scale=scale)
    theirs_ln = keras.layers.LayerNormalization(center=center, scale=scale)
    theirs_ln.build((None, 8, 64))
    assert [s.name for s in ours_ln.weight_specs((None, 8, 64))] == [w.name for w in theirs_ln.weights]
    assert ours_ln.count_params_for((None, 8, 64)) == (theirs_ln.count_params(), 0)


def test_summary_counts_moving_statistics_as_non_trainable():
    model = Sequential([layers.Dense(64, input_shape=(10,)), layers.BatchNormalization()])
    assert model.layers[1].count_params_for((None, 64)) == (128, 128)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "batch_normalization_1 (BatchNormal" in text and "256" in text
    assert "Non-trainable params: 128" in text
    assert "Total params: 960" in text


def test_training_a_model_updates_only_gamma_and_beta_by_gradient():
    model = Sequential([layers.Dense(4, input_shape=(3,)), layers.BatchNormalization(), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = sample(32, 3), sample(32, 1)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    gamma, beta, moving_mean, moving_variance = model.layers[1].get_weights()
    assert not np.allclose(gamma, 1.0) and not np.allclose(beta, 0.0)
    assert not np.allclose(moving_mean, 0.0) and not np.allclose(moving_variance, 1.0)
    assert np.isfinite(model.predict(x)).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"momentum": 1.5}, "momentum=1.5"),
    ({"epsilon": 0.0}, "epsilon=0.0"),
    ({"axis": [1, 2]}, "axis"),
    ({"center": "yes"}, "center"),
    ({"gamma_initializer": "nope"}, "gamma_initializer"),
])
def test_batch_norm_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        layers.BatchNormalization(**kwargs)


@pytest.mark.parametrize("cls", [layers.BatchNormalization, layers.LayerNormalization])
@pytest.mark.parametrize("axis", [0, 3, -4])
def test_axis_must_name_a_non_batch_axis(cls, axis):
    layer = cls(axis=axis)
    with pytest.raises(ShapeError, match=f"axis={axis}"):
        layer.compute_output_shape((None, 4, 5))
    with pytest.raises(ShapeError):
        layer.weight_specs((None, 4, 5))


def test_config_round_trip():
    layer = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, name="bn")
    config = layer.get_config()
    again = layer_from_config("BatchNormalization", config)
    assert again.get_config() == config
    ln = layers.LayerNormalization(epsilon=1e-6, scale=False)
    assert layer_from_config("LayerNormalization", ln.get_config()).get_config() == ln.get_config()
