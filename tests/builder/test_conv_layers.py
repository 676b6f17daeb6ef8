"""Conv1D and Conv2D: finite-difference gradients, Keras numerics and shapes, argument and
shape errors, the seed's VGG-like model."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients
from reference import keras_or_skip

from builder import ConfigError, Sequential, ShapeError, layers
from builder.random import set_random_seed

RNG = np.random.default_rng(3)


def built(layer, input_shape, seed=0):
    layer.build((None, *input_shape), np.random.default_rng(seed))
    return layer


# (strides, dilation_rate) pairs Keras allows
STEPS = [(1, 1), (2, 1), (1, 2)]


@pytest.mark.parametrize("strides, dilation", STEPS)
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("activation", ["linear", "relu", "tanh"])
def test_conv2d_gradients(strides, dilation, padding, activation):
    layer = built(layers.Conv2D(3, (3, 2), strides=strides, padding=padding, dilation_rate=dilation,
                                activation=activation), (7, 6, 2))
    check_layer_gradients(layer, RNG.standard_normal((2, 7, 6, 2)))


@pytest.mark.parametrize("strides, dilation", STEPS)
@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("activation", ["linear", "sigmoid", "gelu"])
def test_conv1d_gradients(strides, dilation, padding, activation):
    layer = built(layers.Conv1D(4, 3, strides=strides, padding=padding, dilation_rate=dilation,
                                activation=activation), (9, 3))
    check_layer_gradients(layer, RNG.standard_normal((3, 9, 3)))


def test_gradients_without_bias_with_softmax_and_rectangular_strides():
    check_layer_gradients(built(layers.Conv2D(2, 2, strides=(1, 3), use_bias=False), (4, 8, 3)),
                          RNG.standard_normal((2, 4, 8, 3)))
    check_layer_gradients(built(layers.Conv2D(4, 3, padding="same", activation="softmax"), (4, 5, 2)),
                          RNG.standard_normal((2, 4, 5, 2)))


def test_backward_without_input_gradient_still_writes_weight_gradients():
    layer = built(layers.Conv1D(2, 2), (5, 3))
    x = RNG.standard_normal((2, 5, 3)).astype(np.float32)
    dy = RNG.standard_normal((2, 4, 2)).astype(np.float32)
    layer.forward(x)
    full = layer.backward(dy)
    grads = [w.grad.copy() for w in layer.weights]
    layer.forward(x)
    assert layer.backward(dy, need_dx=False) is None
    assert full.shape == x.shape
    for w, g in zip(layer.weights, grads):
        np.testing.assert_array_equal(w.grad, g)


def test_column_blocks_of_any_size_give_the_same_numbers(monkeypatch):
    """One block for the whole batch, or one output pixel per block."""
    import kernels.conv

    x = RNG.standard_normal((5, 6, 6, 2)).astype(np.float32)
    dy = RNG.standard_normal((5, 4, 4, 3)).astype(np.float32)
    results = []
    for budget in (1 << 30, 1):
        monkeypatch.setattr(kernels.conv, "SMALL_GEMM", budget)
        monkeypatch.setattr(kernels.conv, "BLOCK_FLOATS", budget)
        layer = built(layers.Conv2D(3, 3, activation="relu"), (6, 6, 2))
        y = layer.forward(x).copy()
        dx = layer.backward(dy).copy()
        results.append((y, dx, *(w.grad.copy() for w in layer.weights)))
    for one, chunked in zip(*results):
        np.testing.assert_allclose(one, chunked, rtol=1e-5, atol=1e-5)


def test_thread_count_changed_between_forward_and_backward():
    """The per-thread work buffers follow the forward pass's, not the current thread count."""
    import numba

    layer = built(layers.Conv2D(3, 2, activation="relu"), (5, 5, 2))
    x = RNG.standard_normal((3, 5, 5, 2)).astype(np.float32)
    dy = RNG.standard_normal((3, 4, 4, 3)).astype(np.float32)
    threads = numba.get_num_threads()
    layer.forward(x)
    expected = layer.backward(dy).copy(), layer.weights[0].grad.copy()
    layer.forward(x)
    try:
        numba.set_num_threads(1)
        got = layer.backward(dy), layer.weights[0].grad
    finally:
        numba.set_num_threads(threads)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


KERAS_CASES = [
    ("Conv2D", dict(filters=3, kernel_size=3, activation="relu"), (6, 5, 2)),
    ("Conv2D", dict(filters=4, kernel_size=(2, 3), strides=2, padding="same"), (5, 7, 3)),
    ("Conv2D", dict(filters=2, kernel_size=3, strides=(1, 2), padding="same", activation="tanh"), (6, 6, 2)),
    ("Conv2D", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same", use_bias=False), (7, 6, 3)),
    ("Conv2D", dict(filters=3, kernel_size=(3, 1), dilation_rate=(2, 1), activation="sigmoid"), (8, 4, 2)),
    ("Conv1D", dict(filters=4, kernel_size=3, activation="relu"), (9, 5)),
    ("Conv1D", dict(filters=3, kernel_size=4, strides=3, padding="same"), (10, 2)),
    ("Conv1D", dict(filters=2, kernel_size=3, dilation_rate=2, padding="causal", activation="elu"), (8, 3)),
    ("Conv1D", dict(filters=5, kernel_size=2, strides=2, padding="causal", use_bias=False), (7, 3)),
]


def keras_twin(keras, name, kwargs, input_shape, ours):
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build((None, *input_shape))
    theirs.set_weights(ours.get_weights())
    return theirs


@pytest.mark.parametrize("name, kwargs, input_shape", KERAS_CASES)
def test_outputs_and_gradients_match_keras(name, kwargs, input_shape):
    keras = keras_or_skip()
    import torch

    ours = built(getattr(layers, name)(**kwargs), input_shape)
    ours.weights[-1].value[...] = RNG.standard_normal(ours.weights[-1].shape)  # a non-zero bias
    theirs = keras_twin(keras, name, kwargs, input_shape, ours)
    x = RNG.standard_normal((3, *input_shape)).astype(np.float32)
    y = ours.forward(x)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = theirs(x_t)
    np.testing.assert_allclose(y, y_t.detach().numpy(), atol=1e-5)
    assert ours.compute_output_shape((None, *input_shape)) == theirs.compute_output_shape((None, *input_shape))

    r = RNG.standard_normal(y.shape).astype(np.float32)
    dx = ours.backward(r)
    (y_t * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(dx, x_t.grad.numpy(), atol=1e-4)
    for w, v in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(w.grad, v.value.grad.numpy(), atol=1e-4)


@pytest.mark.parametrize("name, kwargs, input_shape", [
    ("Conv2D", dict(filters=16, kernel_size=5, strides=3, padding="same"), (31, 17, 4)),
    ("Conv2D", dict(filters=8, kernel_size=(1, 7), dilation_rate=3), (5, 40, 6)),
    ("Conv1D", dict(filters=64, kernel_size=3), (64, 100)),
    ("Conv1D", dict(filters=7, kernel_size=5, strides=4, use_bias=False), (23, 9)),
    ("Conv1D", dict(filters=3, kernel_size=4, strides=2, padding="causal"), (11, 2)),
])
def test_shapes_and_parameter_counts_match_keras(name, kwargs, input_shape):
    keras = keras_or_skip()
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build((None, *input_shape))
    assert ours.compute_output_shape((None, *input_shape)) == theirs.compute_output_shape((None, *input_shape))
    assert sum(ours.count_params_for((None, *input_shape))) == theirs.count_params()
    assert [s.shape for s in ours.weight_specs((None, *input_shape))] == [tuple(w.shape) for w in theirs.weights]


def vgg_like(lib):
    """The seed guide's VGG-like convnet, written against `lib` (SeqStudio's or Keras's layers)."""
    return [
        lib.Conv2D(32, (3, 3), activation="relu", input_shape=(100, 100, 3)),
        lib.Conv2D(32, (3, 3), activation="relu"),
        lib.MaxPooling2D(pool_size=(2, 2)),
        lib.Dropout(0.25),
        lib.Conv2D(64, (3, 3), activation="relu"),
        lib.Conv2D(64, (3, 3), activation="relu"),
        lib.MaxPooling2D(pool_size=(2, 2)),
        lib.Dropout(0.25),
        lib.Flatten(),
        lib.Dense(256, activation="relu"),
        lib.Dropout(0.5),
        lib.Dense(10, activation="softmax"),
    ]


def test_vgg_like_summary_matches_keras():
    model = Sequential(vgg_like(layers))
    rows = model.shape_rows()
    assert [r.params for r in rows if r.class_name == "Conv2D"] == [896, 9248, 18496, 36928]
    assert model.count_params() == 7_998_250
    keras = keras_or_skip()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras 3 prefers an Input layer to input_shape
        theirs = keras.Sequential(vgg_like(keras.layers))
    assert [r.output_shape for r in rows] == [tuple(layer.output.shape) for layer in theirs.layers]
    assert [r.params for r in rows] == [layer.count_params() for layer in theirs.layers]


def test_vgg_like_trains_a_step():
    set_random_seed(0)
    model = Sequential(vgg_like(layers))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = RNG.random((2, 100, 100, 3), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[[1, 7]]
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def conv1d_classifier(lib):
    """The seed guide's sequence classifier with 1-D convolutions (64 steps of 100 features)."""
    return [
        lib.Conv1D(64, 3, activation="relu", input_shape=(64, 100)),
        lib.Conv1D(64, 3, activation="relu"),
        lib.MaxPooling1D(3),
        lib.Conv1D(128, 3, activation="relu"),
        lib.Conv1D(128, 3, activation="relu"),
        lib.GlobalAveragePooling1D(),
        lib.Dropout(0.5),
        lib.Dense(1, activation="sigmoid"),
    ]


def test_conv1d_classifier_summary_matches_keras_and_trains():
    model = Sequential(conv1d_classifier(layers))
    rows = model.shape_rows()
    assert model.count_params() == 105_729
    keras = keras_or_skip()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.Sequential(conv1d_classifier(keras.layers))
    assert [r.output_shape for r in rows] == [tuple(layer.output.shape) for layer in theirs.layers]
    assert [r.params for r in rows] == [layer.count_params() for layer in theirs.layers]
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(RNG.random((32, 64, 100), dtype=np.float32), RNG.integers(0, 2, (32, 1)), batch_size=16,
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_small_convnet_learns_where_the_bright_bar_is():
    """Images with a bright vertical bar on the left or right half: well above chance."""
    set_random_seed(1)
    n = 256
    x = RNG.normal(0, 0.3, (n, 8, 8, 1)).astype(np.float32)
    labels = RNG.integers(0, 2, n)
    columns = np.where(labels == 0, RNG.integers(0, 4, n), RNG.integers(4, 8, n))
    x[np.arange(n), :, columns, 0] += 2.0
    model = Sequential([
        layers.Conv2D(4, 3, activation="relu", padding="same", input_shape=(8, 8, 1)),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:192], labels[:192], batch_size=32, epochs=15, verbose=0)
    _, accuracy = model.evaluate(x[192:], labels[192:], verbose=0)
    assert accuracy > 0.9


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2D(-3, 3), "Conv2D: invalid filters=-3: expected a value >= 1"),
    (lambda: layers.Conv2D(8, (3, 3, 3)), "kernel_size"),
    (lambda: layers.Conv1D(8, 0), "kernel_size"),
    (lambda: layers.Conv2D(8, 3, strides=2, dilation_rate=2), "strides > 1 cannot be combined with dilation_rate > 1"),
    (lambda: layers.Conv1D(8, 3, strides=2, dilation_rate=(3,)), "dilation_rate"),
    (lambda: layers.Conv2D(8, 3, padding="causal"), "padding='causal'"),
    (lambda: layers.Conv2D(8, 3, data_format="channels_first"), "data_format"),
    (lambda: layers.Conv1D(8, 3, activation="nope"), "activation"),
])
def test_config_errors_name_the_argument(make, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


@pytest.mark.parametrize("layer, shape, message", [
    (layers.Conv2D(8, 3), (None, 2, 2, 3),
     "conv2d (Conv2D) got input shape (None, 2, 2, 3) but needs height x width of at least 3 x 3"),
    (layers.Conv1D(8, 3, dilation_rate=2), (None, 4, 3), "needs steps of at least 5"),
    (layers.Conv2D(8, 3), (None, 10, 3), "needs 4 dimensions (batch, height, width, channels)"),
    (layers.Conv1D(8, 3), (None, 5, 5, 3), "needs 3 dimensions (batch, steps, channels)"),
])
def test_shape_errors(layer, shape, message):
    with pytest.raises(ShapeError) as caught:
        layer.compute_output_shape(shape)
    assert message in str(caught.value)


def test_same_and_causal_padding_fit_any_input():
    assert layers.Conv2D(8, 5, padding="same").compute_output_shape((None, 2, 2, 3)) == (None, 2, 2, 8)
    assert layers.Conv1D(8, 5, padding="causal", dilation_rate=3).compute_output_shape((4, 2, 3)) == (4, 2, 8)


def test_config_round_trip():
    layer = layers.Conv2D(8, 3, strides=(2, 1), padding="same", activation="relu", use_bias=False, name="c")
    again = layers.Conv2D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    assert again.kernel_size == (3, 3) and again.strides == (2, 1)
    assert layers.Conv1D(4, 3).get_config()["kernel_size"] == [3]
