"""Padding, upsampling, RepeatVector, Permute and spatial dropout: the copy kernels against
numpy, finite-difference gradients, Keras 3 outputs, shape rules and argument errors."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients
from reference import keras_or_skip

from builder import ConfigError, Sequential, ShapeError, layers
from builder.catalog import layer_from_config
from builder.random import set_random_seed

RNG = np.random.default_rng(9)


def built(layer, input_shape):
    layer.build((None, *input_shape), np.random.default_rng(0))
    return layer


def sample(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# (layer, input shape without batch, numpy reference of the forward pass)
CASES = [
    (lambda: layers.ZeroPadding1D(), (5, 3), lambda x: np.pad(x, ((0, 0), (1, 1), (0, 0)))),
    (lambda: layers.ZeroPadding1D((0, 2)), (5, 3), lambda x: np.pad(x, ((0, 0), (0, 2), (0, 0)))),
    (lambda: layers.ZeroPadding2D(), (4, 5, 2), lambda x: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))),
    (lambda: layers.ZeroPadding2D((2, 0)), (4, 5, 2), lambda x: np.pad(x, ((0, 0), (2, 2), (0, 0), (0, 0)))),
    (lambda: layers.ZeroPadding2D(((0, 1), (3, 2))), (4, 5, 2), lambda x: np.pad(x, ((0, 0), (0, 1), (3, 2), (0, 0)))),
    (lambda: layers.UpSampling1D(), (5, 3), lambda x: np.repeat(x, 2, axis=1)),
    (lambda: layers.UpSampling1D(3), (4, 2), lambda x: np.repeat(x, 3, axis=1)),
    (lambda: layers.UpSampling2D(), (3, 4, 2), lambda x: np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)),
    (lambda: layers.UpSampling2D((1, 3)), (3, 4, 2), lambda x: np.repeat(x, 3, axis=2)),
    (lambda: layers.RepeatVector(4), (3,), lambda x: np.repeat(x[:, None, :], 4, axis=1)),
    (lambda: layers.Permute((2, 1)), (3, 5), lambda x: x.transpose(0, 2, 1)),
    (lambda: layers.Permute((3, 1, 2)), (2, 3, 4), lambda x: x.transpose(0, 3, 1, 2)),
]
IDS = ["pad1d", "pad1d-asym", "pad2d", "pad2d-sym", "pad2d-pairs", "up1d", "up1d-3", "up2d", "up2d-1x3",
       "repeat", "permute2", "permute3"]


@pytest.mark.parametrize("make, shape, reference", CASES, ids=IDS)
def test_forward_matches_numpy_and_shape_rule(make, shape, reference):
    layer = built(make(), shape)
    x = sample(3, *shape)
    y = layer.forward(x)
    np.testing.assert_array_equal(y, reference(x))
    assert y.flags.c_contiguous
    assert layer.compute_output_shape((None, *shape)) == (None, *y.shape[1:])


@pytest.mark.parametrize("make, shape, reference", CASES, ids=IDS)
def test_gradients(make, shape, reference):
    check_layer_gradients(built(make(), shape), sample(2, *shape))


@pytest.mark.parametrize("make, shape, reference", CASES, ids=IDS)
def test_backward_of_a_non_contiguous_gradient(make, shape, reference):
    layer = built(make(), shape)
    x = sample(2, *shape)
    y = layer.forward(x)
    dy = np.asfortranarray(sample(*y.shape))
    expected = layer.backward(np.ascontiguousarray(dy)).copy()
    np.testing.assert_array_equal(layer.backward(dy), expected)
    assert layer.backward(dy, need_dx=False) is None


KERAS_CASES = [
    ("ZeroPadding1D", {"padding": 2}, (5, 3)),
    ("ZeroPadding1D", {"padding": (1, 3)}, (5, 3)),
    ("ZeroPadding2D", {"padding": 1}, (4, 5, 2)),
    ("ZeroPadding2D", {"padding": (2, 1)}, (4, 5, 2)),
    ("ZeroPadding2D", {"padding": ((1, 0), (0, 2))}, (4, 5, 2)),
    ("UpSampling1D", {"size": 3}, (4, 2)),
    ("UpSampling2D", {"size": (2, 3)}, (3, 4, 2)),
    ("UpSampling2D", {"size": 2}, (3, 4, 2)),
    ("RepeatVector", {"n": 3}, (5,)),
    ("Permute", {"dims": (2, 1)}, (3, 5)),
    ("Permute", {"dims": (2, 3, 1)}, (2, 3, 4)),
]


@pytest.mark.parametrize("cls, kwargs, shape", KERAS_CASES)
def test_matches_keras(cls, kwargs, shape):
    keras = keras_or_skip()
    ours = built(getattr(layers, cls)(**kwargs), shape)
    theirs = getattr(keras.layers, cls)(**kwargs)
    x = sample(2, *shape)
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_array_equal(ours.forward(x), expected)
    assert ours.compute_output_shape((None, *shape)) == tuple(theirs.compute_output_shape((None, *shape)))
    if "padding" in kwargs:
        assert ours.padding == tuple(theirs.padding)


@pytest.mark.parametrize("cls, shape", [(layers.SpatialDropout1D, (6, 40)), (layers.SpatialDropout2D, (3, 4, 40))])
def test_spatial_dropout_drops_whole_channels(cls, shape):
    set_random_seed(4)
    layer = built(cls(0.5), shape)
    x = np.ones((5, *shape), np.float32)
    y = layer.forward(x, training=True)
    per_channel = y.reshape(5, -1, shape[-1])
    assert (per_channel == per_channel[:, :1, :]).all(), "the mask is shared by every position"
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert 0.3 < (per_channel[:, 0] == 0).mean() < 0.7
    assert layer.forward(x, training=False) is x
    assert layer.backward(x) is x


@pytest.mark.parametrize("cls, shape", [(layers.SpatialDropout1D, (4, 3)), (layers.SpatialDropout2D, (2, 3, 4))])
def test_spatial_dropout_gradient_with_fixed_mask(cls, shape):
    layer = built(cls(0.4), shape)
    check_layer_gradients(layer, sample(3, *shape), training=True, reseed=lambda: set_random_seed(2))


def test_spatial_dropout_seed_repeats_masks():
    x = np.ones((4, 3, 8), np.float32)
    first = built(layers.SpatialDropout1D(0.5, seed=7), (3, 8)).forward(x, training=True).copy()
    second = built(layers.SpatialDropout1D(0.5, seed=7), (3, 8)).forward(x, training=True)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("layer, shape, match", [
    (layers.ZeroPadding1D(), (None, 5), "needs 3 dimensions"),
    (layers.ZeroPadding2D(), (None, 4, 5), "needs 4 dimensions"),
    (layers.UpSampling1D(), (None, 2, 3, 4), "needs 3 dimensions"),
    (layers.UpSampling2D(), (None, 3), "needs 4 dimensions"),
    (layers.RepeatVector(2), (None, 3, 4), "needs 2 dimensions"),
    (layers.Permute((2, 1)), (None, 2, 3, 4), "needs 3 dimensions"),
    (layers.SpatialDropout1D(0.1), (None, 2, 3, 4), "needs 3 dimensions"),
    (layers.SpatialDropout2D(0.1), (None, 3, 4), "needs 4 dimensions"),
])
def test_shape_errors(layer, shape, match):
    with pytest.raises(ShapeError, match=match):
        layer.compute_output_shape(shape)


def test_a_wrong_rank_in_a_model_is_a_shape_error():
    with pytest.raises(ShapeError, match="RepeatVector"):
        Sequential([layers.Dense(3, input_shape=(4, 5)), layers.RepeatVector(2)])


@pytest.mark.parametrize("make, match", [
    (lambda: layers.ZeroPadding1D(-1), "padding=-1"),
    (lambda: layers.ZeroPadding1D((1, 2, 3)), "padding"),
    (lambda: layers.ZeroPadding2D(-1), "padding=-1"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), r"padding=\(1, 2, 3\)"),
    (lambda: layers.ZeroPadding2D(((1, -2), (0, 0))), "padding"),
    (lambda: layers.ZeroPadding2D("same"), "padding='same'"),
    (lambda: layers.ZeroPadding2D(data_format="channels_first"), "data_format"),
    (lambda: layers.UpSampling1D(0), "size=0"),
    (lambda: layers.UpSampling2D((2, 0)), "size"),
    (lambda: layers.UpSampling2D(interpolation="bilinear"), "interpolation='bilinear'"),
    (lambda: layers.RepeatVector(0), "n=0"),
    (lambda: layers.RepeatVector(), "missing required argument 'n'"),
    (lambda: layers.Permute((1, 3)), r"expected a permutation of 1\.\.2"),
    (lambda: layers.Permute((1, 1)), "dims"),
    (lambda: layers.Permute((0, 1)), "dims"),
    (lambda: layers.SpatialDropout1D(1.0), "rate=1.0"),
    (lambda: layers.SpatialDropout2D(-0.1), "rate=-0.1"),
])
def test_config_errors(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


@pytest.mark.parametrize("make", [
    lambda: layers.ZeroPadding1D((2, 1)),
    lambda: layers.ZeroPadding2D(((1, 2), 3)),
    lambda: layers.UpSampling2D(3),
    lambda: layers.RepeatVector(5),
    lambda: layers.Permute((2, 3, 1)),
    lambda: layers.SpatialDropout2D(0.3, seed=1),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    again = layer_from_config(layer.class_name, config)
    assert again.get_config() == config
    assert all(getattr(again, p.name) == getattr(layer, p.name) for p in layer.PARAMS)


def test_padding_forms_normalise_as_keras_stores_them():
    assert layers.ZeroPadding1D(2).padding == (2, 2)
    assert layers.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 3)).padding == ((1, 1), (3, 3))
    assert layers.ZeroPadding2D([[1, 2], [0, 4]]).padding == ((1, 2), (0, 4))
    assert layers.ZeroPadding2D().padding == ((1, 1), (1, 1))
