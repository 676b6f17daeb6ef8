"""Pooling layers: finite-difference gradients, Keras numerics and shapes, TensorFlow's
averaging over unpadded elements, argument and shape errors."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients
from reference import keras_or_skip

from builder import ConfigError, ShapeError, layers

RNG = np.random.default_rng(9)


def built(layer, input_shape):
    layer.build((None, *input_shape), np.random.default_rng(0))
    return layer


WINDOWED = [
    ("MaxPooling2D", dict(), (6, 5, 2)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (5, 7, 2)),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=1), (4, 6, 3)),
    ("AveragePooling2D", dict(pool_size=2), (5, 6, 2)),
    ("AveragePooling2D", dict(pool_size=3, strides=(1, 2), padding="same"), (5, 6, 2)),
    ("AveragePooling2D", dict(pool_size=(2, 3), padding="same"), (5, 4, 2)),
    ("MaxPooling1D", dict(pool_size=3), (10, 3)),
    ("MaxPooling1D", dict(pool_size=2, strides=1, padding="same"), (7, 2)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (9, 3)),
    ("AveragePooling1D", dict(pool_size=4, strides=3), (11, 2)),
]
GLOBAL = [
    ("GlobalMaxPooling1D", dict(), (6, 3)),
    ("GlobalAveragePooling1D", dict(keepdims=True), (6, 3)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (4, 3, 2)),
    ("GlobalAveragePooling2D", dict(), (4, 3, 2)),
]


@pytest.mark.parametrize("name, kwargs, input_shape", WINDOWED + GLOBAL)
def test_gradients(name, kwargs, input_shape):
    layer = built(getattr(layers, name)(**kwargs), input_shape)
    check_layer_gradients(layer, RNG.standard_normal((3, *input_shape)))


def keras_agrees(name, kwargs, input_shape):
    """Keras on torch pads asymmetric "same" windows by replication, which changes averages;
    SeqStudio follows TensorFlow there (tested against numpy below and in the kernel tests)."""
    if not name.startswith("Average") or kwargs.get("padding") != "same":
        return True
    pool = kwargs.get("pool_size", 2)
    pools = (pool,) * (len(input_shape) - 1) if isinstance(pool, int) else pool
    strides = kwargs.get("strides") or pools
    strides = (strides,) * len(pools) if isinstance(strides, int) else strides
    for size, k, s in zip(input_shape, pools, strides):
        out = -(-size // s)
        if max((out - 1) * s + k - size, 0) % 2:
            return False
    return True


@pytest.mark.parametrize("name, kwargs, input_shape", [case for case in WINDOWED + GLOBAL if keras_agrees(*case)])
def test_outputs_gradients_and_shapes_match_keras(name, kwargs, input_shape):
    keras = keras_or_skip()
    import torch

    ours = built(getattr(layers, name)(**kwargs), input_shape)
    theirs = getattr(keras.layers, name)(**kwargs)
    x = RNG.standard_normal((3, *input_shape)).astype(np.float32)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = theirs(x_t)
    y = ours.forward(x)
    np.testing.assert_allclose(y, y_t.detach().numpy(), atol=1e-5)
    assert ours.compute_output_shape((None, *input_shape)) == theirs.compute_output_shape((None, *input_shape))
    r = RNG.standard_normal(y.shape).astype(np.float32)
    (y_t * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(ours.backward(r), x_t.grad.numpy(), atol=1e-5)


def test_same_average_pooling_divides_by_the_unpadded_count_as_tensorflow():
    layer = built(layers.AveragePooling2D((2, 3), padding="same"), (3, 4, 1))
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    # height: 2 outputs, padding (0, 1); width: 2 outputs, padding (1, 1)
    expected = [[x[0, 0:2, 0:2].mean(), x[0, 0:2, 2:4].mean()], [x[0, 2:3, 0:2].mean(), x[0, 2:3, 2:4].mean()]]
    np.testing.assert_allclose(layer.forward(x)[0, :, :, 0], expected, rtol=1e-6)


def test_max_pooling_routes_the_gradient_to_the_maximum():
    layer = built(layers.MaxPooling1D(2), (4, 1))
    x = np.array([[[1.0], [5.0], [7.0], [2.0]]], np.float32)
    np.testing.assert_array_equal(layer.forward(x).ravel(), [5.0, 7.0])
    np.testing.assert_array_equal(layer.backward(np.array([[[10.0], [20.0]]], np.float32)).ravel(), [0, 10, 20, 0])
    assert layer.backward(np.ones((1, 2, 1), np.float32), need_dx=False) is None


@pytest.mark.parametrize("layer, shape, expected", [
    (layers.MaxPooling2D(), (None, 7, 5, 3), (None, 3, 2, 3)),
    (layers.MaxPooling2D(3, strides=2, padding="same"), (8, 7, 5, 3), (8, 4, 3, 3)),
    (layers.AveragePooling1D(5, padding="same"), (None, 3, 4), (None, 1, 4)),
    (layers.AveragePooling1D(2, strides=1), (None, 3, 4), (None, 2, 4)),
    (layers.GlobalMaxPooling2D(), (None, 7, 5, 3), (None, 3)),
    (layers.GlobalAveragePooling2D(keepdims=True), (None, 7, 5, 3), (None, 1, 1, 3)),
    (layers.GlobalAveragePooling1D(keepdims=True), (None, 7, 3), (None, 1, 3)),
])
def test_shape_rules(layer, shape, expected):
    assert layer.compute_output_shape(shape) == expected
    assert layer.weight_specs(shape) == []


@pytest.mark.parametrize("layer, shape, message", [
    (layers.MaxPooling2D((3, 3)), (None, 2, 5, 1),
     "max_pooling2d (MaxPooling2D) got input shape (None, 2, 5, 1) but needs height x width of at least 3 x 3"),
    (layers.AveragePooling1D(4), (None, 3, 2), "needs steps of at least 4"),
    (layers.MaxPooling1D(), (None, 4, 4, 2), "needs 3 dimensions (batch, steps, channels)"),
    (layers.GlobalAveragePooling2D(), (None, 4, 2), "needs 4 dimensions (batch, height, width, channels)"),
])
def test_shape_errors(layer, shape, message):
    with pytest.raises(ShapeError) as caught:
        layer.compute_output_shape(shape)
    assert message in str(caught.value)


@pytest.mark.parametrize("make, message", [
    (lambda: layers.MaxPooling2D(0), "pool_size"),
    (lambda: layers.MaxPooling2D(2, strides=(1, 2, 3)), "strides"),
    (lambda: layers.AveragePooling1D(2, padding="causal"), "padding"),
    (lambda: layers.GlobalMaxPooling1D(data_format="channels_first"), "data_format"),
    (lambda: layers.AveragePooling2D(), "missing required argument 'pool_size'"),
])
def test_config_errors(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_defaults_and_config_round_trip():
    layer = layers.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides is None and layer.padding == "valid"
    assert layers.MaxPooling1D().pool_size == (2,)
    layer = layers.AveragePooling1D(3, 2, "same", name="p")
    again = layers.AveragePooling1D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config() and again.strides == (2,)
