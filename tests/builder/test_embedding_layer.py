"""Embedding: lookups of any input rank, Keras 3 numerics with our table copied in, the
scatter-add gradient (repeated indices accumulate, every batch overwrites), finite differences
on the table, refusals of out-of-range indices, arguments and counts."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients
from reference import keras_or_skip

from builder import ConfigError, DataError, Sequential, layers
from builder.catalog import layer_class, layer_from_config

RNG = np.random.default_rng(13)


def built(input_dim=7, output_dim=3, shape=(5,), **kwargs):
    layer = layers.Embedding(input_dim, output_dim, **kwargs)
    layer.build((None, *shape), np.random.default_rng(0))
    return layer


def indices(input_dim, *shape):
    return RNG.integers(0, input_dim, shape).astype(np.float32)


@pytest.mark.parametrize("shape", [(4,), (4, 5), (4, 2, 3)])
def test_lookup_of_any_rank(shape):
    layer = built(shape=shape[1:])
    x = indices(7, *shape)
    y = layer.forward(x)
    assert y.shape == (*shape, 3)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:], 3)
    np.testing.assert_array_equal(y, layer.weights[0].value[x.astype(int)])


@pytest.mark.parametrize("shape", [(4,), (4, 6)])
def test_outputs_match_keras(shape):
    keras = keras_or_skip()
    layer = built(11, 4, shape[1:])
    theirs = keras.layers.Embedding(11, 4)
    theirs.build((None, *shape[1:]))
    theirs.set_weights(layer.get_weights())
    x = indices(11, *shape)
    np.testing.assert_allclose(layer.forward(x), theirs(x.astype("int32")).detach().numpy(), atol=1e-6)


def test_backward_scatter_adds_repeated_indices_and_overwrites():
    layer = built()
    x = np.array([[1, 1, 4, 0, 1], [4, 6, 6, 6, 2]], np.float32)
    layer.forward(x)
    dy = RNG.standard_normal((2, 5, 3)).astype(np.float32)
    dx = layer.backward(dy)
    expected = np.zeros((7, 3), np.float32)
    np.add.at(expected, x.astype(int).ravel(), dy.reshape(-1, 3))
    np.testing.assert_allclose(layer.weights[0].grad, expected, rtol=1e-6)
    assert dx.shape == x.shape and not dx.any()
    assert layer.backward(dy, need_dx=False) is None
    np.testing.assert_allclose(layer.weights[0].grad, expected, rtol=1e-6)


def test_table_gradients_against_finite_differences():
    layer = built(5, 4, (6,))
    check_layer_gradients(layer, indices(5, 3, 6), check_input=False, samples=20)


@pytest.mark.parametrize(
    "bad, shown", [(7.0, "7"), (-1.0, "-1"), (1e9, "1000000000"), (np.nan, "nan")]
)
def test_out_of_range_index_is_a_data_error(bad, shown):
    layer = built()
    x = indices(7, 2, 5)
    x[1, 2] = bad
    x[1, 4] = 99.0  # only the first bad value is named
    with pytest.raises(DataError, match=rf"index {shown} at position \(1, 2\) .* outside \[0, 7\): input_dim=7"):
        layer.forward(x)


def test_in_a_model_before_an_lstm():
    model = Sequential([layers.Embedding(30, 8, input_shape=(6,)), layers.LSTM(4), layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert [row.params for row in model.shape_rows()] == [240, 208, 5]
    model.compile(optimizer="rmsprop", loss="mse")
    x, y = indices(30, 16, 6), RNG.standard_normal((16, 1)).astype(np.float32)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    x[3, 1] = 30.0
    with pytest.raises(DataError, match="index 30 .* input_dim=30"):
        model.predict(x)


def test_arguments_and_counts():
    layer = layers.Embedding(input_dim=1000, output_dim=64)
    assert (layer.input_dim, layer.output_dim, layer.input_shape_arg) == (1000, 64, None)
    assert layer.count_params_for((None, 10)) == (64000, 0)
    assert layers.Embedding(50, 2, input_length=10).input_shape_arg == (10,)
    with pytest.raises(ConfigError, match="two values for argument 'input_dim'"):
        layers.Embedding(10, 2, input_dim=10)
    with pytest.raises(ConfigError, match="invalid output_dim=0"):
        layers.Embedding(10, 0)
    with pytest.raises(ConfigError, match="invalid input_dim=-3"):
        layers.Embedding(-3, 2)


def test_default_initializer_is_keras_uniform():
    table = built(200, 50).weights[0].value
    assert table.dtype == np.float32 and table.shape == (200, 50)
    assert np.abs(table).max() <= 0.05 and table.std() > 0.02


def test_config_round_trip_and_catalog():
    layer = layers.Embedding(100, 8, batch_input_shape=(4, 12))
    config = layer.get_config()
    again = layer_from_config("Embedding", config)
    assert again.get_config() == config
    assert (again.input_dim, again.input_shape_arg, again.batch_size_arg) == (100, (12,), 4)
    assert layer_class("Embedding").family == "Embedding"
