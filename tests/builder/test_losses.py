"""Losses: Keras 3 values, gradients by finite differences, target preparation, lookup and
serialization. Outputs carry a time axis, so the mean over every non-class axis is checked."""

import numpy as np
import pytest
from reference import keras_or_skip

from builder import losses
from builder.errors import ConfigError, DataError

N, T, C = 4, 3, 5
OUTPUT_SHAPE = (None, T, C)


def _data(loss, rng):
    """Raw user targets and float32 predictions suited to `loss`."""
    shape = (N, T, C)
    logits = getattr(loss, "from_logits", False)
    name = loss.name
    if name == "sparse_categorical_crossentropy":
        y = rng.integers(0, C, (N, T))
    elif name == "categorical_crossentropy":
        y = np.eye(C)[rng.integers(0, C, (N, T))]
    elif name == "kl_divergence":
        y = rng.dirichlet(np.ones(C), (N, T))
    elif name in ("binary_crossentropy", "hinge"):
        y = rng.integers(0, 2, shape)
    elif name == "poisson":
        y = rng.poisson(2.0, shape)
    else:
        y = rng.normal(0, 1, shape)
    if logits or name in ("mean_squared_error", "mean_absolute_error", "huber", "hinge"):
        p = rng.normal(0, 1.5, shape)
    elif name == "binary_crossentropy":
        p = rng.uniform(0.02, 0.98, shape)
    else:
        p = rng.uniform(0.05, 1.0, shape)
    return y, p.astype(np.float32)


LOSSES = [
    losses.CategoricalCrossentropy(),
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.CategoricalCrossentropy(label_smoothing=0.2),
    losses.SparseCategoricalCrossentropy(),
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.BinaryCrossentropy(),
    losses.BinaryCrossentropy(label_smoothing=0.1),
    losses.BinaryCrossentropy(from_logits=True),
    losses.MeanSquaredError(),
    losses.MeanAbsoluteError(),
    losses.Huber(),
    losses.Huber(delta=0.5),
    losses.KLDivergence(),
    losses.Hinge(),
    losses.Poisson(),
]


@pytest.fixture(scope="module")
def keras():
    return keras_or_skip()


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_kernel_value_matches_numpy_call_and_gradient_finite_differences(loss):
    rng = np.random.default_rng(len(repr(loss)))
    y, p = _data(loss, rng)
    t = loss.prepare_targets(y, OUTPUT_SHAPE)
    grad = np.full_like(p, np.nan)
    value = loss.value_and_grad(t, p, grad)
    assert value == pytest.approx(loss(y, p), rel=1e-5)
    step = np.float32(1e-3)
    expected = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        hi, lo = p.copy(), p.copy()
        hi[idx] += step
        lo[idx] -= step
        expected[idx] = (loss(y, hi) - loss(y, lo)) / (2 * step)
    np.testing.assert_allclose(grad, expected, rtol=1e-2, atol=2e-4)


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_value_matches_keras(keras, loss):
    rng = np.random.default_rng(7 + len(repr(loss)))
    y, p = _data(loss, rng)
    reference = getattr(keras.losses, type(loss).__name__)(**loss.get_config())
    expected = keras.ops.convert_to_numpy(reference(y.astype(np.float32), p))
    t = loss.prepare_targets(y, OUTPUT_SHAPE)
    assert loss.value_and_grad(t, p, np.empty_like(p)) == pytest.approx(float(expected), rel=1e-5)
    assert loss(y, p) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("name", sorted({losses.get(n).name for n in losses.LOSS_NAMES}))
def test_module_functions_match_keras_per_sample(keras, name):
    rng = np.random.default_rng(len(name))
    loss = losses.get(name)
    y, p = _data(loss, rng)
    function = getattr(losses, loss.name)
    expected = keras.ops.convert_to_numpy(keras.losses.get(loss.name)(y.astype(np.float32), p))
    actual = function(y, p)
    assert actual.shape == (N, T)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_hinge_maps_binary_labels_but_keeps_signed_ones():
    p = np.array([[0.3, -2.0]], np.float32)
    assert losses.hinge([[1, 0]], p)[0] == pytest.approx((0.7 + 0.0) / 2)
    assert losses.hinge([[1, -1]], p)[0] == pytest.approx((0.7 + 0.0) / 2)
    assert losses.hinge([[0.5, -1]], p)[0] == pytest.approx((0.85 + 0.0) / 2)


def test_binary_targets_without_the_unit_axis_are_expanded():
    loss = losses.get("binary_crossentropy")
    t = loss.prepare_targets(np.array([0, 1, 1]), (None, 1))
    assert t.shape == (3, 1) and t.dtype == np.float32 and t.flags.c_contiguous
    p = np.array([[0.2], [0.7], [0.9]], np.float32)
    assert loss(np.array([0, 1, 1]), p) == pytest.approx(loss(t, p))


def test_sparse_targets_drop_the_trailing_unit_axis():
    t = losses.get("sparse_categorical_crossentropy").prepare_targets(np.array([[2], [0]]), (None, 3))
    np.testing.assert_array_equal(t, [2.0, 0.0])
    assert t.dtype == np.float32


@pytest.mark.parametrize(
    "name, y, output_shape, message",
    [
        ("sparse_categorical_crossentropy", [0, 1.5, 2], (None, 3), "integer class ids, found 1.5"),
        ("sparse_categorical_crossentropy", [0, 3, 2], (None, 3), "class id 3, outside [0, 3)"),
        ("sparse_categorical_crossentropy", [0, -1, 2], (None, 3), "class id -1"),
        ("sparse_categorical_crossentropy", np.eye(3), (None, 3), "looks one-hot"),
        ("sparse_categorical_crossentropy", np.zeros((2, 4, 3)), (None, 3), "shape (2, 4, 3)"),
        ("categorical_crossentropy", np.eye(4), (None, 3), "outputs 3 units"),
        ("categorical_crossentropy", [[0], [2]], (None, 3), "use sparse_categorical_crossentropy"),
        ("categorical_crossentropy", [0, 2], (None, 3), "look like class ids"),
        ("kl_divergence", np.full((2, 2), 0.5), (None, 3), "width 3"),
        ("mse", np.zeros((5, 2, 1)), (None, 2), "3 dims"),
        ("mse", np.zeros((5, 3)), (None, 2), "has shape (5, 3)"),
        ("mse", np.zeros((5, 4, 2)), (None, 3, 2), "(None, 3, 2)"),
        ("mae", np.array(["a", "b"]), (None, 1), "must hold numbers"),
        ("binary_crossentropy", [[0.0], [np.nan]], (None, 1), "NaN"),
        ("huber", np.zeros((0, 1)), (None, 1), "empty"),
    ],
)
def test_prepare_targets_rejects_unfit_targets(name, y, output_shape, message):
    with pytest.raises(DataError) as info:
        losses.get(name).prepare_targets(y, output_shape, source="train.csv")
    assert message in str(info.value)
    assert "train.csv" in str(info.value)


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("categorical_crossentropy", losses.CategoricalCrossentropy),
        ("mse", losses.MeanSquaredError),
        ("mean_absolute_error", losses.MeanAbsoluteError),
        ("kld", losses.KLDivergence),
        ("MSE", losses.MeanSquaredError),
        ("kullback_leibler_divergence", losses.KLDivergence),
        (losses.binary_crossentropy, losses.BinaryCrossentropy),
        (losses.huber, losses.Huber),
        (losses.Poisson, losses.Poisson),
    ],
)
def test_get_resolves_names_functions_and_classes(identifier, cls):
    loss = losses.get(identifier)
    assert type(loss) is cls


def test_get_keeps_instances_and_names_canonically():
    loss = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(loss) is loss
    assert losses.get("mse").name == "mean_squared_error"
    assert losses.get("huber").name == "huber"


def test_get_rejects_unknown_names_and_plain_callables():
    with pytest.raises(ConfigError, match="unknown loss 'msq'.*mean_squared_error"):
        losses.get("msq")

    def my_loss(y_true, y_pred):
        return y_pred

    with pytest.raises(ConfigError, match="my_loss.*gradient.*subclass"):
        losses.get(my_loss)
    with pytest.raises(ConfigError, match="invalid loss"):
        losses.get(3)


class Quartic(losses.Loss):
    """mean((p - t)^4) over the last axis: a custom loss with its own gradient."""

    def call(self, y_true, y_pred):
        return ((np.asarray(y_pred) - y_true) ** 4).mean(axis=-1)

    def gradient(self, y_true, y_pred):
        return 4 * (np.asarray(y_pred) - y_true) ** 3 / np.shape(y_pred)[-1]


def test_custom_loss_subclass_trains_through_numpy():
    loss = losses.get(Quartic())
    assert loss.name == "quartic"
    rng = np.random.default_rng(3)
    y = rng.normal(size=(N, C))
    p = rng.normal(size=(N, C)).astype(np.float32)
    t = loss.prepare_targets(y, (None, C))
    grad = np.empty_like(p)
    value = loss.value_and_grad(t, p, grad)
    assert value == pytest.approx(((p - y) ** 4).mean(), rel=1e-5)
    step = 1e-6
    p64 = p.astype(np.float64)
    for idx in [(0, 0), (2, 3)]:
        hi, lo = p64.copy(), p64.copy()
        hi[idx] += step
        lo[idx] -= step
        expected = (loss(t, hi) - loss(t, lo)) / (2 * step)
        assert grad[idx] == pytest.approx(expected, rel=1e-4)


def test_custom_loss_without_gradient_is_refused():
    class NoGradient(losses.Loss):
        def call(self, y_true, y_pred):
            return np.abs(y_pred - y_true).mean(axis=-1)

    with pytest.raises(ConfigError, match="NoGradient.*gradient"):
        losses.get(NoGradient())


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["class_name"] == type(loss).__name__
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == loss.get_config()
    assert losses.get(config).get_config() == loss.get_config()


def test_deserialize_custom_needs_its_class():
    config = losses.serialize(Quartic())
    with pytest.raises(ConfigError, match="'Quartic'.*custom_objects"):
        losses.deserialize(config)
    assert isinstance(losses.deserialize(config, custom_objects={"Quartic": Quartic}), Quartic)
    with pytest.raises(ConfigError, match="Huber"):
        losses.deserialize({"class_name": "Huber", "config": {"width": 2}})


def test_invalid_settings_name_the_argument():
    with pytest.raises(ConfigError, match=r"BinaryCrossentropy: invalid label_smoothing=1.5"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ConfigError, match=r"Huber: invalid delta=0"):
        losses.Huber(delta=0)


def test_value_and_grad_refuses_buffers_it_cannot_use_safely():
    loss = losses.MeanSquaredError()
    p = np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match="C-contiguous"):
        loss.value_and_grad(np.ones((4, 2), np.float32), p, np.zeros((2, 4), np.float32).T)
    with pytest.raises(ValueError, match="prepare_targets"):
        loss.value_and_grad(np.ones((3, 2), np.float32), p, np.zeros_like(p))
    sparse = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match="prepare_targets"):
        sparse.value_and_grad(np.ones((4, 2), np.float32), p, np.zeros_like(p))
