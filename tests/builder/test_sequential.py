"""The Sequential container: naming, shape inference, summary figures, add/pop, errors."""

import numpy as np
import pytest

from builder import ConfigError, SeqStudioError, Sequential, ShapeError, layers
from builder.shapes import infer_shapes


def seed_summary_model():
    return Sequential([
        layers.Dense(256, input_shape=(784,)),
        layers.Dropout(0.5),
        layers.Dense(128),
        layers.Dropout(0.5),
        layers.Dense(10),
    ])


def test_seed_summary_figures():
    lines = []
    seed_summary_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    for expected in ("dense_1 (Dense)", "dropout_1 (Dropout)", "dense_2 (Dense)", "dense_3 (Dense)",
                     "(None, 256)", "200,960", "32,896", "1,290", "Total params: 235,146",
                     "Trainable params: 235,146", "Non-trainable params: 0", "Layer (type)", "Output Shape", "Param #"):
        assert expected in text, expected


def test_summary_row_layout():
    lines = []
    seed_summary_model().summary(print_fn=lines.append)
    row = next(line for line in lines[0].splitlines() if line.startswith(" dense_1"))
    assert row.split() == ["dense_1", "(Dense)", "(None,", "256)", "200,960"]


def test_layer_properties_and_count():
    model = seed_summary_model()
    first = model.layers[0]
    assert first.name == "dense_1"
    assert first.output_shape == (None, 256)
    assert first.count_params() == 200960
    assert model.count_params() == 235146
    assert model.output_shape == (None, 10)


def test_batch_size_with_input_shape_fixes_the_batch():
    model = Sequential([layers.Dense(4, batch_size=32, input_shape=(6, 8))])
    assert model.input_shape == (32, 6, 8)
    assert model.layers[0].output_shape == (32, 6, 4)


def test_batch_input_shape():
    model = Sequential([layers.Dense(3, batch_input_shape=(16, 5))])
    assert model.layers[0].output_shape == (16, 3)


def test_add_impossible_layer_raises_and_adds_nothing():
    model = Sequential([layers.Dense(6, input_shape=(5,))])
    with pytest.raises(ShapeError, match=r"reshape.*\(None, 6\).*\(4,\)"):
        model.add(layers.Reshape((4,)))
    assert len(model.layers) == 1


def test_infer_shapes_marks_rows_after_an_error_unknown():
    stack = [layers.Dense(6, input_shape=(5,)), layers.Reshape((4,)), layers.Dense(2)]
    rows = infer_shapes(stack)
    assert rows[0].output_shape == (None, 6)
    assert rows[1].error and "holds 4 values, not 6" in rows[1].error
    assert rows[2].output_shape is None and rows[2].error is None


def test_pop_and_names_stay_unique():
    model = seed_summary_model()
    popped = model.pop()
    assert popped.name == "dense_3"
    model.add(layers.Dense(10))
    assert [layer.name for layer in model.layers][-1] == "dense_3"
    with pytest.raises(ConfigError, match="already"):
        model.add(layers.Dense(2, name="dense_1"))


def test_pop_empty_model():
    with pytest.raises(SeqStudioError, match="no layer"):
        Sequential().pop()


def test_config_errors_name_argument_and_value():
    with pytest.raises(ConfigError, match=r"Dense: invalid units=-3"):
        layers.Dense(units=-3)
    with pytest.raises(ConfigError, match=r"Dropout: invalid rate=1.5"):
        layers.Dropout(1.5)
    with pytest.raises(ConfigError, match="unknown activation"):
        layers.Dense(3, activation="sparkle")
    with pytest.raises(ConfigError, match="unknown argument 'unit'"):
        layers.Dense(unit=3)


def test_deferred_input_shape_builds_from_data():
    model = Sequential([layers.Dense(3), layers.Dense(2)])
    rows = model.shape_rows()
    assert all(row.output_shape is None and row.error is None for row in rows)
    model.build((None, 7))
    assert model.count_params() == 7 * 3 + 3 + 3 * 2 + 2


def test_weights_round_trip_in_keras_order():
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(2, 3), (3,), (3, 1), (1,)]
    new = [np.full(w.shape, i, np.float32) for i, w in enumerate(weights)]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ConfigError, match="weight arrays"):
        model.set_weights(new[:2])


def test_subscribers_hear_every_edit():
    model = Sequential()
    calls = []
    model.subscribe(lambda: calls.append(len(model.layers)))
    model.add(layers.Dense(2, input_shape=(3,)))
    model.insert(0, layers.Dropout(0.1))
    model.remove_at(0)
    assert calls == [1, 2, 1]


def test_from_config_round_trip():
    model = seed_summary_model()
    clone = Sequential.from_config(model.get_config())
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert clone.count_params() == 235146


def test_studio_edits_move_replace_and_input_shape():
    model = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dropout(0.1), layers.Dense(2)])
    model.move(2, 1)
    assert [l.class_name for l in model.layers] == ["Dense", "Dense", "Dropout"]
    old = model.replace(1, layers.Dense(5))
    assert old.units == 2 and model.layers[1].name == old.name
    assert model.output_shape == (None, 5)
    model.set_input_shape((None, 7))
    assert model.layers[0].count_params() == 7 * 4 + 4
