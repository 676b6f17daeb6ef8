"""Metrics: running means over batches of different sizes against numpy and Keras 3, the
resolution of "accuracy", custom metrics, lookup and serialization."""

import numpy as np
import pytest
from reference import keras_or_skip

from builder import losses, metrics
from builder.errors import ConfigError, DataError

C = 6
BATCH_SIZES = (5, 3)


def _batches(kind, rng):
    """Two batches (y_true, y_pred) of the kind of targets a metric reads."""
    batches = []
    for n in BATCH_SIZES:
        scores = rng.uniform(0, 1, (n, C)).astype(np.float32)
        labels = rng.integers(0, C, n)
        if kind == "sparse":
            batches.append((labels.astype(np.float32), scores))
        elif kind == "one_hot":
            batches.append((np.eye(C, dtype=np.float32)[labels], scores))
        elif kind == "binary":
            batches.append((rng.integers(0, 2, (n, 2)).astype(np.float32), scores[:, :2]))
        else:
            batches.append((rng.normal(size=(n, C)).astype(np.float32), scores))
    return batches


# metric, kind of targets, numpy per-element values, Keras class and arguments
CASES = [
    (metrics.BinaryAccuracy(), "binary", lambda t, p: (p > 0.5) == t, "BinaryAccuracy", {}),
    (
        metrics.BinaryAccuracy(threshold=0.3),
        "binary",
        lambda t, p: (p > 0.3) == t,
        "BinaryAccuracy",
        {"threshold": 0.3},
    ),
    (
        metrics.CategoricalAccuracy(),
        "one_hot",
        lambda t, p: t.argmax(-1) == p.argmax(-1),
        "CategoricalAccuracy",
        {},
    ),
    (
        metrics.SparseCategoricalAccuracy(),
        "sparse",
        lambda t, p: t == p.argmax(-1),
        "SparseCategoricalAccuracy",
        {},
    ),
    (
        metrics.TopKCategoricalAccuracy(k=2),
        "one_hot",
        lambda t, p: np.take_along_axis(p, t.argmax(-1)[:, None], -1)[:, 0] >= np.sort(p, -1)[:, -2],
        "TopKCategoricalAccuracy",
        {"k": 2},
    ),
    (
        metrics.SparseTopKCategoricalAccuracy(k=3),
        "sparse",
        lambda t, p: np.take_along_axis(p, t.astype(int)[:, None], -1)[:, 0] >= np.sort(p, -1)[:, -3],
        "SparseTopKCategoricalAccuracy",
        {"k": 3},
    ),
    (metrics.MeanSquaredError(), "real", lambda t, p: ((t - p) ** 2).mean(-1), "MeanSquaredError", {}),
    (metrics.MeanAbsoluteError(), "real", lambda t, p: np.abs(t - p).mean(-1), "MeanAbsoluteError", {}),
    (
        metrics.BinaryCrossentropy(),
        "binary",
        lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1),
        "BinaryCrossentropy",
        {},
    ),
    (
        metrics.CategoricalCrossentropy(),
        "one_hot",
        lambda t, p: -(t * np.log(p / p.sum(-1, keepdims=True))).sum(-1),
        "CategoricalCrossentropy",
        {},
    ),
]
IDS = [f"{case[0].name}-{case[3]}{case[4] or ''}" for case in CASES]


@pytest.fixture(scope="module")
def keras():
    return keras_or_skip()


@pytest.mark.parametrize("metric, kind, formula, _, __", CASES, ids=IDS)
def test_running_mean_over_unequal_batches_matches_numpy(metric, kind, formula, _, __):
    batches = _batches(kind, np.random.default_rng(len(metric.name)))
    metric.reset_state()
    for t, p in batches:
        metric.update_state(t, p)
    values = np.concatenate([np.ravel(formula(t.astype(np.float64), p.astype(np.float64))) for t, p in batches])
    assert metric.result() == pytest.approx(values.mean(), rel=1e-5)
    metric.reset_state()
    assert metric.result() == 0.0


@pytest.mark.parametrize("metric, kind, _, keras_class, keras_args", CASES, ids=IDS)
def test_running_mean_matches_keras(keras, metric, kind, _, keras_class, keras_args):
    batches = _batches(kind, np.random.default_rng(11 + len(metric.name)))
    reference = getattr(keras.metrics, keras_class)(**keras_args)
    metric.reset_state()
    for t, p in batches:
        metric.update_state(t, p)
        reference.update_state(t, p)
    expected = float(keras.ops.convert_to_numpy(reference.result()))
    assert metric.result() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "function",
    [
        metrics.binary_accuracy,
        metrics.categorical_accuracy,
        metrics.sparse_categorical_accuracy,
        metrics.top_k_categorical_accuracy,
        metrics.sparse_top_k_categorical_accuracy,
    ],
)
def test_metric_functions_match_keras_per_sample(keras, function):
    rng = np.random.default_rng(5)
    kind = "binary" if function is metrics.binary_accuracy else "sparse" if "sparse" in function.__name__ else "one_hot"
    t, p = _batches(kind, rng)[0]
    expected = keras.ops.convert_to_numpy(getattr(keras.metrics, function.__name__)(t, p))
    np.testing.assert_array_equal(function(t, p), expected)


def test_ties_follow_keras(keras):
    """argmax takes the first maximum; a class tied with the k-th score is in the top k."""
    p = np.array([[0.4, 0.4, 0.2], [0.1, 0.5, 0.5]], np.float32)
    labels = np.array([1, 1], np.float32)
    pairs = [
        (metrics.SparseCategoricalAccuracy(), keras.metrics.SparseCategoricalAccuracy()),
        (metrics.SparseTopKCategoricalAccuracy(k=1), keras.metrics.SparseTopKCategoricalAccuracy(k=1)),
    ]
    for ours, theirs in pairs:
        ours.update_state(labels, p)
        theirs.update_state(labels, p)
        assert ours.result() == pytest.approx(float(keras.ops.convert_to_numpy(theirs.result())))
    assert pairs[0][0].result() == 0.5 and pairs[1][0].result() == 1.0


def test_sparse_metrics_accept_a_trailing_unit_axis():
    p = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    metric = metrics.SparseCategoricalAccuracy()
    metric.update_state(np.array([[1], [1]]), p)
    assert metric.result() == 0.5


def test_mismatched_targets_raise_data_errors():
    p = np.zeros((4, 3), np.float32)
    with pytest.raises(DataError, match="categorical_accuracy: targets of shape \\(4,\\)"):
        metrics.CategoricalAccuracy().update_state(np.zeros(4, np.float32), p)
    with pytest.raises(DataError, match="class ids must lie in \\[0, 3\\)"):
        metrics.SparseTopKCategoricalAccuracy().update_state(np.array([0, 1, 2, 3], np.float32), p)
    with pytest.raises(DataError, match="one class id per row"):
        metrics.SparseCategoricalAccuracy().update_state(np.zeros((4, 3), np.float32), p)
    with pytest.raises(DataError, match="mean_squared_error"):
        metrics.MeanSquaredError().update_state(np.zeros((4, 2), np.float32), p)


@pytest.mark.parametrize(
    "loss, y_true_shape, y_pred_shape, cls",
    [
        ("binary_crossentropy", (None, 1), (None, 1), metrics.BinaryAccuracy),
        ("mse", (None,), (None, 1), metrics.BinaryAccuracy),
        ("binary_crossentropy", (None, 4), (None, 4), metrics.BinaryAccuracy),
        ("sparse_categorical_crossentropy", (None,), (None, 10), metrics.SparseCategoricalAccuracy),
        ("mse", (None, 1), (None, 10), metrics.SparseCategoricalAccuracy),
        ("mse", (None, 7), (None, 7, 10), metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", (None, 10), (None, 10), metrics.CategoricalAccuracy),
        (losses.KLDivergence(), (None, 3, 10), (None, 3, 10), metrics.CategoricalAccuracy),
    ],
)
def test_accuracy_resolves_like_keras_compile(loss, y_true_shape, y_pred_shape, cls):
    metric = metrics.get("accuracy", loss, y_true_shape, y_pred_shape)
    assert type(metric) is cls and metric.name == "accuracy"
    assert metrics.get("acc", loss, y_true_shape, y_pred_shape).name == "acc"


def test_accuracy_needs_the_prediction_shape():
    with pytest.raises(ConfigError, match="'accuracy' needs the shapes"):
        metrics.get("accuracy", "mse")


@pytest.mark.parametrize(
    "identifier, cls, name",
    [
        ("mae", metrics.MeanAbsoluteError, "mae"),
        ("mean_squared_error", metrics.MeanSquaredError, "mean_squared_error"),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy"),
        (metrics.binary_accuracy, metrics.BinaryAccuracy, "binary_accuracy"),
        (metrics.sparse_top_k_categorical_accuracy, metrics.SparseTopKCategoricalAccuracy, "sparse_top_k_categorical_accuracy"),
        (losses.mean_squared_error, metrics.MeanSquaredError, "mean_squared_error"),
        (metrics.categorical_crossentropy, metrics.CategoricalCrossentropy, "categorical_crossentropy"),
        (metrics.CategoricalAccuracy, metrics.CategoricalAccuracy, "categorical_accuracy"),
    ],
)
def test_get_keeps_the_name_it_was_given(identifier, cls, name):
    metric = metrics.get(identifier)
    assert type(metric) is cls and metric.name == name


def test_get_rejects_unknown_and_nameless_metrics():
    with pytest.raises(ConfigError, match="unknown metric 'precision'.*binary_accuracy.*custom_metric"):
        metrics.get("precision")
    with pytest.raises(ConfigError, match="no usable name.*custom_metric"):
        metrics.get(lambda t, p: 0.0)
    with pytest.raises(ConfigError, match="invalid metric"):
        metrics.get(4)
    with pytest.raises(ConfigError, match="invalid k=0"):
        metrics.TopKCategoricalAccuracy(k=0)
    with pytest.raises(ConfigError, match="invalid name='mean pred'"):
        metrics.custom_metric("mean pred", np.mean)


def mean_pred(y_true, y_pred):
    return np.mean(y_pred)


def test_custom_metric_weights_batches_by_their_size():
    metric = metrics.get(metrics.custom_metric("mean_pred", mean_pred))
    assert metric.name == "mean_pred"
    small = np.full((2, 1), 1.0, np.float32)
    large = np.full((6, 1), 3.0, np.float32)
    metric.update_state(small, small)
    metric.update_state(large, large)
    assert metric.result() == pytest.approx((2 * 1.0 + 6 * 3.0) / 8)
    named = metrics.get(mean_pred)
    assert isinstance(named, metrics.CustomMetric) and named.name == "mean_pred"


@pytest.mark.parametrize(
    "identifier, serialized",
    [
        ("accuracy", "accuracy"),
        ("acc", "acc"),
        ("mae", "mae"),
        (metrics.binary_accuracy, "binary_accuracy"),
        (losses.mean_squared_error, "mean_squared_error"),
    ],
)
def test_names_and_metric_functions_serialize_as_names(identifier, serialized):
    """"accuracy" stays a name: the data's shapes resolve it again after loading."""
    assert metrics.serialize(identifier) == serialized
    assert metrics.deserialize(serialized) == serialized
    metrics.check_identifier(serialized)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.get("accuracy", "binary_crossentropy", (None, 1), (None, 1)),
        metrics.get("acc", None, (None,), (None, 4)),
        metrics.TopKCategoricalAccuracy(k=3),
        metrics.BinaryAccuracy(threshold=0.7),
        metrics.get("mse"),
        metrics.get("categorical_crossentropy"),
    ],
    ids=repr,
)
def test_metric_instances_round_trip(metric):
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()


@pytest.mark.parametrize("identifier", [metrics.custom_metric("mean_pred", mean_pred), mean_pred])
def test_custom_metrics_are_saved_by_name_only(identifier):
    config = metrics.serialize(identifier)
    assert config == {"class_name": "CustomMetric", "config": {"name": "mean_pred"}}
    with pytest.raises(ConfigError, match="'mean_pred'.*saved by name only.*custom_objects"):
        metrics.deserialize(config)
    rebuilt = metrics.deserialize(config, custom_objects={"mean_pred": mean_pred})
    assert rebuilt.name == "mean_pred" and rebuilt.fn is mean_pred


def test_unknown_names_cannot_be_checked_or_reloaded():
    with pytest.raises(ConfigError, match="'mean_pred'.*saved by name only"):
        metrics.deserialize("mean_pred")
    with pytest.raises(ConfigError, match="unknown metric 'precision'"):
        metrics.check_identifier("precision")
    with pytest.raises(ConfigError, match="unknown metric 'precision'"):
        metrics.serialize("precision")
