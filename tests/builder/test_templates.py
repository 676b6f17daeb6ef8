"""The seed's templates: each builds, summarises with the guide's parameter counts, survives a
project round trip and trains one epoch on a few samples of dummy data of its shape."""

import numpy as np
import pytest

from builder.errors import ConfigError
from builder.project import load_project, project_to_dict, save_project
from builder.project.data import model_arrays
from builder.templates import DEFAULT_TEMPLATE, TEMPLATES, build_template, template_info

PARAMS = {
    "digits": 4_810,
    "mlp": 25_450,
    "mlp_multiclass": 6_154,
    "mlp_binary": 5_569,
    "vgg_like": 7_998_250,
    "conv1d": 105_729,
    "embedding_lstm": 5_317_249,
    "stacked_lstm": 23_242,
    "stateful_lstm": 23_242,
}


def dummy_data(model, samples):
    rng = np.random.default_rng(0)
    shape = model.input_shape[1:]
    if model.layers[0].class_name == "Embedding":
        x = rng.integers(0, model.layers[0].input_dim, (samples, *shape)).astype(np.float32)
    else:
        x = rng.random((samples, *shape), dtype=np.float32)
    units = model.output_shape[-1]
    if units == 1:
        return x, rng.integers(0, 2, (samples, 1)).astype(np.float32)
    return x, np.eye(units, dtype=np.float32)[rng.integers(0, units, samples)]


def test_names_and_default():
    assert TEMPLATES[0] == DEFAULT_TEMPLATE == "digits"
    assert set(TEMPLATES) == set(PARAMS)


def test_unknown_template_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown template 'cnn'; expected one of digits, mlp, "):
        build_template("cnn")
    with pytest.raises(ConfigError, match="unknown template"):
        template_info("cnn")


@pytest.mark.parametrize("name", TEMPLATES)
def test_info_says_what_data_it_expects(name):
    title, description, expects = template_info(name)
    assert title and description and expects


@pytest.mark.parametrize("name", TEMPLATES)
def test_builds_and_summarises(name):
    project = build_template(name)
    lines = []
    project.model.summary(print_fn=lines.append)
    assert f"Total params: {PARAMS[name]:,}" in lines[0]
    assert "!" not in lines[0]  # no layer row carries an error
    assert project.model.count_params() == PARAMS[name]


@pytest.mark.parametrize("name", TEMPLATES)
def test_round_trips_through_a_project_file(name, tmp_path):
    project = build_template(name)
    save_project(project, tmp_path / f"{name}.json")
    assert project_to_dict(load_project(tmp_path / f"{name}.json")) == project_to_dict(project)


@pytest.mark.parametrize("name", TEMPLATES)
def test_trains_one_epoch_on_dummy_data(name):
    project = build_template(name)
    model = project.compiled_model()
    samples = model.input_shape[0] or (2 if name == "vgg_like" else 4)  # stateful: one fixed batch
    x, y = dummy_data(model, samples)
    history = model.fit(x, y, verbose=0, **{**project.compile.fit_arguments(), "epochs": 1})
    assert np.isfinite(history.history["loss"][0])


def test_guide_compile_and_fit_settings():
    multiclass = build_template("mlp_multiclass").compile
    assert multiclass.optimizer["class_name"] == "SGD"
    assert {k: multiclass.optimizer["config"][k] for k in ("learning_rate", "decay", "momentum", "nesterov")} == {
        "learning_rate": 0.01, "decay": 1e-6, "momentum": 0.9, "nesterov": True}
    assert (multiclass.epochs, multiclass.batch_size) == (20, 128)
    binary = build_template("mlp_binary").compile
    assert (binary.optimizer["class_name"], binary.loss) == ("RMSprop", "binary_crossentropy")


def test_vgg_like_is_compiled_without_metrics_as_the_guide_does():
    vgg = build_template("vgg_like").compile
    assert vgg.metrics == [] and vgg.optimizer == build_template("mlp_multiclass").compile.optimizer


def test_stateful_lstm_has_a_fixed_batch_and_fits_in_order():
    stateful = build_template("stateful_lstm")
    assert stateful.model.input_shape == (32, 8, 16)
    assert (stateful.compile.batch_size, stateful.compile.shuffle) == (32, False)


def test_digits_trains_out_of_the_box_on_the_bundled_digits():
    project = build_template("digits")
    assert project.resolve(project.data.path).name == "digits.csv"
    train, validation = project.load_data()
    assert (len(train), len(validation)) == (1437, 360)
    assert len(project.data.mean) == 64  # the fitted standardization travels with the project
    model = project.compiled_model()
    x, y = model_arrays(train, model)
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(*model_arrays(validation, model), verbose=0)
    assert accuracy > 0.9


def test_demo_trains_the_digits_template_and_reports_held_out_accuracy():
    from builder.demo import run_demo

    lines = []
    accuracy = run_demo(epochs=5, verbose=0, print_fn=lines.append)
    assert 'Model: "digits"' in lines[0]
    assert lines[-1].startswith("test accuracy on 360 held-out digits: ")
    assert accuracy > 0.9


@pytest.mark.parametrize("split", [0.2, 0.0])
def test_a_training_file_read_already_is_used_as_is_and_never_changed(split):
    from builder.data import load_data

    project = build_template("digits")
    project.data.validation_split = split
    read = load_data(project.resolve(project.data.path))
    before = read.x.copy()
    train, validation = project.load_data(train=read)
    fresh = build_template("digits")
    fresh.data.validation_split = split
    expected, expected_validation = fresh.load_data()
    np.testing.assert_array_equal(train.x, expected.x)  # split and standardized alike
    np.testing.assert_array_equal(train.y, expected.y)
    assert (validation is None) == (expected_validation is None)
    np.testing.assert_array_equal(read.x, before)  # the caller's copy is untouched
