"""SimpleRNN, LSTM, GRU: finite-difference gradients (inputs and every weight) over
return_sequences, go_backwards, use_bias, dropout and stateful; Keras 3 outputs and gradients
with our weights copied in; parameter counts; stateful carry and reset; argument and shape
errors."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients
from reference import keras_or_skip

from builder import ConfigError, DataError, Sequential, ShapeError, layers, set_random_seed
from builder.catalog import layer_class, layer_from_config

RNG = np.random.default_rng(7)
SHAPE = (4, 3)  # timesteps, features
CELLS = [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False})]
CELL_IDS = ["simple_rnn", "lstm", "gru", "gru_reset_before"]


def make(cls, units=3, batch=None, shape=SHAPE, **kwargs):
    """The layer built for (batch, *shape), every weight drawn from U(-0.5, 0.5)."""
    layer = getattr(layers, cls)(units, **kwargs)
    layer.build((batch, *shape), np.random.default_rng(0))
    for w in layer.weights:
        w.value[...] = RNG.uniform(-0.5, 0.5, w.value.shape)
    return layer


def sample(batch=2, shape=SHAPE):
    return RNG.standard_normal((batch, *shape)).astype(np.float32)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("cls, kwargs", CELLS, ids=CELL_IDS)
def test_gradients(cls, kwargs, return_sequences, go_backwards):
    layer = make(cls, return_sequences=return_sequences, go_backwards=go_backwards, **kwargs)
    check_layer_gradients(layer, sample())


@pytest.mark.parametrize("cls, kwargs", CELLS, ids=CELL_IDS)
def test_gradients_without_bias(cls, kwargs):
    layer = make(cls, use_bias=False, return_sequences=True, **kwargs)
    check_layer_gradients(layer, sample())


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("SimpleRNN", {"activation": "softsign"}),
        ("LSTM", {"activation": "elu", "recurrent_activation": "hard_sigmoid"}),
        ("GRU", {"activation": "swish", "recurrent_activation": "hard_sigmoid", "reset_after": False}),
    ],
)
def test_gradients_with_other_activations(cls, kwargs):
    check_layer_gradients(make(cls, return_sequences=True, **kwargs), sample())


@pytest.mark.parametrize("cls, kwargs", CELLS, ids=CELL_IDS)
def test_gradients_with_dropout_in_training(cls, kwargs):
    layer = make(cls, dropout=0.3, recurrent_dropout=0.4, return_sequences=True, **kwargs)
    check_layer_gradients(layer, sample(), training=True, reseed=lambda: set_random_seed(11))


@pytest.mark.parametrize("cls, kwargs", CELLS, ids=CELL_IDS)
def test_stateful_gradients_stop_at_the_carried_state(cls, kwargs):
    layer = make(cls, batch=2, stateful=True, go_backwards=True, **kwargs)
    layer.forward(sample())
    carried = [s.copy() for s in layer.states]
    assert all(np.abs(s).max() > 0 for s in carried)

    def restore():
        for state, saved in zip(layer.states, carried):
            state[...] = saved

    check_layer_gradients(layer, sample(), reseed=restore)


def test_weight_gradients_without_input_gradient():
    layer = make("LSTM", return_sequences=True)
    check_layer_gradients(layer, sample(), check_input=False)


# -- Keras 3 ----------------------------------------------------------------------------
KERAS_CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"return_sequences": True, "go_backwards": True, "use_bias": False}),
    ("LSTM", {}),
    ("LSTM", {"return_sequences": True, "go_backwards": True}),
    ("LSTM", {"use_bias": False, "activation": "elu", "recurrent_activation": "hard_sigmoid"}),
    ("GRU", {}),
    ("GRU", {"return_sequences": True, "go_backwards": True}),
    ("GRU", {"use_bias": False}),
    ("GRU", {"reset_after": False}),
    ("GRU", {"reset_after": False, "return_sequences": True, "go_backwards": True}),
]


def keras_twin(keras, ours, cls, kwargs, shape=SHAPE):
    theirs = getattr(keras.layers, cls)(ours.units, **kwargs)
    theirs.build((None, *shape))
    theirs.set_weights(ours.get_weights())
    return theirs


@pytest.mark.parametrize("cls, kwargs", KERAS_CASES)
def test_outputs_and_gradients_match_keras(cls, kwargs):
    keras = keras_or_skip()
    import torch

    ours = make(cls, units=5, **kwargs)
    theirs = keras_twin(keras, ours, cls, kwargs)
    x = sample(3)
    y = ours.forward(x)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = theirs(x_t)
    np.testing.assert_allclose(y, y_t.detach().numpy(), atol=1e-5)

    r = RNG.standard_normal(y.shape).astype(np.float32)
    dx = ours.backward(r.copy())
    (y_t * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(dx, x_t.grad.numpy(), atol=1e-5)
    for w, v in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(w.grad, v.value.grad.numpy(), atol=1e-5, err_msg=w.name)


@pytest.mark.parametrize(
    "cls, kwargs, expected",
    [("LSTM", {}, 6272), ("GRU", {}, 4800), ("GRU", {"reset_after": False}, 4704), ("SimpleRNN", {}, 1568)],
)
def test_parameter_counts(cls, kwargs, expected):
    layer = getattr(layers, cls)(32, **kwargs)
    assert layer.count_params_for((None, 10, 16)) == (expected, 0)
    layer.build((None, 10, 16), np.random.default_rng(0))
    assert layer.count_params() == expected
    keras = keras_or_skip()
    theirs = getattr(keras.layers, cls)(32, **kwargs)
    theirs.build((None, 10, 16))
    assert theirs.count_params() == expected
    assert [w.shape for w in layer.weights] == [tuple(v.shape) for v in theirs.weights]


# -- state ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs", CELLS, ids=CELL_IDS)
def test_stateful_halves_equal_one_pass_over_the_whole_sequence(cls, kwargs):
    stateful = make(cls, batch=2, shape=(3, 3), stateful=True, return_sequences=True, **kwargs)
    whole = getattr(layers, cls)(3, return_sequences=True, **kwargs)
    whole.build((None, 6, 3), np.random.default_rng(0))
    whole.set_weights(stateful.get_weights())
    x = sample(2, (6, 3))
    expected = whole.forward(x).copy()
    first = stateful.forward(np.ascontiguousarray(x[:, :3]), training=True).copy()
    second = stateful.forward(np.ascontiguousarray(x[:, 3:])).copy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, atol=1e-6)

    stateful.reset_states()
    assert all(not s.any() for s in stateful.states)
    np.testing.assert_array_equal(stateful.forward(np.ascontiguousarray(x[:, :3])), first)


def test_stateless_layer_starts_every_batch_from_zeros():
    layer = make("LSTM")
    x = sample()
    first = layer.forward(x).copy()
    np.testing.assert_array_equal(layer.forward(x), first)
    assert layer.states is None


def test_stateful_model_carries_state_across_predict_calls_until_reset():
    model = Sequential([
        layers.LSTM(4, stateful=True, return_sequences=True, batch_input_shape=(2, 3, 5)),
        layers.GRU(3, stateful=True),
    ])
    x = sample(4, (3, 5))
    first = model.predict(x)
    assert not np.allclose(model.predict(x), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x), first, atol=1e-6)


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ConfigError, match=r"stateful LSTM needs a fixed batch size: give batch_input_shape"):
        layers.LSTM(4, stateful=True).build((None, 3, 5), np.random.default_rng(0))
    model = Sequential([layers.GRU(4, stateful=True, input_shape=(3, 5))])
    with pytest.raises(ConfigError, match="stateful GRU needs a fixed batch size"):
        model.build()


def test_stateful_layer_refuses_another_batch_size():
    layer = make("SimpleRNN", batch=2, stateful=True)
    with pytest.raises(DataError, match="built for batches of 2 samples, got a batch of 3"):
        layer.forward(sample(3))


# -- dropout ----------------------------------------------------------------------------
def test_input_dropout_mask_is_fixed_across_time_steps_and_scaled():
    layer = layers.SimpleRNN(4, activation="linear", use_bias=False, dropout=0.5, return_sequences=True)
    layer.build((None, 6, 4), np.random.default_rng(0))
    layer.set_weights([np.eye(4), np.zeros((4, 4))])
    x = np.ones((8, 6, 4), np.float32)
    set_random_seed(3)
    y = layer.forward(x, training=True)
    assert np.all(y == y[:, :1, :])
    assert set(np.unique(y)) == {0.0, 2.0}
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


@pytest.mark.parametrize("cls, kwargs", CELLS, ids=CELL_IDS)
def test_dropout_changes_training_only(cls, kwargs):
    plain = make(cls, **kwargs)
    dropping = getattr(layers, cls)(3, dropout=0.5, recurrent_dropout=0.5, seed=1, **kwargs)
    dropping.build((None, *SHAPE), np.random.default_rng(0))
    dropping.set_weights(plain.get_weights())
    x = sample()
    expected = plain.forward(x).copy()
    np.testing.assert_array_equal(dropping.forward(x, training=False), expected)
    assert not np.allclose(dropping.forward(x, training=True), expected)


# -- construction -----------------------------------------------------------------------
def test_lstm_unit_forget_bias():
    layer = layers.LSTM(3)
    layer.build((None, *SHAPE), np.random.default_rng(0))
    np.testing.assert_array_equal(layer.weight("bias").value, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = layers.LSTM(3, unit_forget_bias=False)
    plain.build((None, *SHAPE), np.random.default_rng(0))
    assert not plain.weight("bias").value.any()


def test_gru_bias_layout_follows_reset_after():
    assert [s.shape for s in layers.GRU(3).weight_specs((None, 4, 2))] == [(2, 9), (3, 9), (2, 9)]
    assert [s.shape for s in layers.GRU(3, reset_after=False).weight_specs((None, 4, 2))] == [(2, 9), (3, 9), (9,)]


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_output_shapes_and_rank_errors(cls):
    assert getattr(layers, cls)(7).compute_output_shape((None, 5, 2)) == (None, 7)
    assert getattr(layers, cls)(7, return_sequences=True).compute_output_shape((8, 5, 2)) == (8, 5, 7)
    for shape in [(None, 5), (None, 5, 2, 1)]:
        with pytest.raises(ShapeError, match=r"needs 3 dimensions \(batch, timesteps, features\)"):
            getattr(layers, cls)(7).compute_output_shape(shape)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 0}, "invalid units=0"),
        ({"units": 4, "dropout": 1.0}, "invalid dropout=1.0"),
        ({"units": 4, "recurrent_dropout": -0.1}, "invalid recurrent_dropout=-0.1"),
        ({"units": 4, "activation": "nope"}, "invalid activation='nope'"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        layers.LSTM(**kwargs)


@pytest.mark.parametrize("cls, kwargs", CELLS, ids=CELL_IDS)
def test_config_round_trip_and_catalog(cls, kwargs):
    layer = getattr(layers, cls)(5, return_sequences=True, go_backwards=True, dropout=0.25, **kwargs)
    config = layer.get_config()
    assert layer_from_config(cls, config).get_config() == config
    assert layer_class(cls).family == "Recurrent"
