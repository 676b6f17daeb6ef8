"""Project files: round trips (JSON and weights), every refusal with its message, atomic saves,
and the compiled copy the studio trains."""

import errno
import json
import os

import numpy as np
import pytest

from builder import layers, optimizers
from builder.errors import ConfigError, SeqStudioError
from builder.project import (
    FORMAT,
    CompileSettings,
    DataSettings,
    Project,
    check_model_size,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
    weights_path,
)
from builder.project import files as project_files
from builder.sequential import Sequential


def small_project() -> Project:
    model = Sequential([
        layers.Dense(8, activation="relu", input_shape=(5,)),
        layers.Dropout(0.5),
        layers.Dense(3, activation="softmax"),
    ], name="small")
    return Project(
        model=model,
        compile=CompileSettings(optimizer=optimizers.serialize(optimizers.Adam(learning_rate=0.01)),
                                loss="categorical_crossentropy", metrics=["accuracy"], epochs=3, batch_size=4, seed=7),
        data=DataSettings(path="data/train.csv", target="label", validation_split=0.25, standardize=True,
                          mean=[0.5] * 5, std=[2.0] * 5),
        description="three classes from five features",
    )


def trained(project: Project):
    model = project.compiled_model()
    rng = np.random.default_rng(0)
    x = rng.random((8, 5), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    return model


def write(tmp_path, d, name="project.json"):
    path = tmp_path / name
    path.write_text(json.dumps(d))
    return path


def refusal(tmp_path, edit) -> str:
    d = project_to_dict(small_project())
    edit(d)
    with pytest.raises(ConfigError) as caught:
        load_project(write(tmp_path, d))
    return str(caught.value)


# -- round trips ---------------------------------------------------------------------------------
def test_round_trip_keeps_stack_settings_and_weights(tmp_path):
    project = small_project()
    model = trained(project)
    assert project.store_weights(model) == 2  # the two Dense layers; Dropout has no weights
    path = tmp_path / "run" / "model.json"
    path.parent.mkdir()
    (tmp_path / "run" / "data").mkdir()
    project.path = tmp_path / "run" / "model.json"
    save_project(project, path)
    assert weights_path(path) == tmp_path / "run" / "model.weights.npz"
    assert weights_path(path).is_file()

    loaded = load_project(path)
    assert loaded.path == path
    assert project_to_dict(loaded) == project_to_dict(project)
    assert loaded.compile == project.compile and loaded.data == project.data
    assert loaded.description == "three classes from five features"
    for a, b in zip(loaded.model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_file_format_is_versioned_json(tmp_path):
    path = tmp_path / "p.json"
    save_project(small_project(), path)
    d = json.loads(path.read_text())
    assert d["format"] == FORMAT == 1
    assert d["input_shape"] == [None, 5]
    assert [entry["class_name"] for entry in d["layers"]] == ["Dense", "Dropout", "Dense"]
    assert d["layers"][0]["config"]["units"] == 8
    assert d["compile"]["optimizer"]["class_name"] == "Adam"
    assert d["data"]["target"] == "label"


def test_untrained_project_has_no_weights_file_and_a_stale_one_is_removed(tmp_path):
    path = tmp_path / "p.json"
    project = small_project()
    project.store_weights(trained(project))
    save_project(project, path)
    assert weights_path(path).exists()
    save_project(small_project(), path)
    assert not weights_path(path).exists()
    assert not any(layer.built for layer in load_project(path).model.layers)


def test_weights_go_only_into_layers_whose_shapes_match(tmp_path):
    project = small_project()
    model = trained(project)
    project.store_weights(model)
    path = tmp_path / "p.json"
    save_project(project, path)
    d = json.loads(path.read_text())
    d["layers"][2]["config"]["units"] = 4  # the last layer changed: its saved kernel no longer fits
    path.write_text(json.dumps(d))
    loaded = load_project(path)
    first, _, last = loaded.model.layers
    assert first.built and not last.built
    np.testing.assert_array_equal(first.get_weights()[0], model.layers[0].get_weights()[0])


def test_data_paths_stay_relative_to_the_project_when_it_moves(tmp_path):
    project = small_project()
    project.path = tmp_path / "a" / "p.json"
    project.data.validation_path = str(tmp_path / "abs.csv")
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    save_project(project, tmp_path / "b" / "deeper" / "p.json")
    assert project.data.path == "../../a/data/train.csv"
    assert project.data.validation_path == str(tmp_path / "abs.csv")
    assert project.resolve(project.data.path).resolve() == (tmp_path / "a" / "data" / "train.csv").resolve()


def test_bundled_data_paths_never_move(tmp_path):
    project = small_project()
    project.data.path = "bundled:digits"
    save_project(project, tmp_path / "p.json")
    assert load_project(tmp_path / "p.json").data.path == "bundled:digits"


def test_project_from_dict_makes_relative_paths_absolute_from_base_dir(tmp_path):
    d = project_to_dict(small_project())
    project = project_from_dict(d, tmp_path)
    assert project.path is None
    assert project.data.path == str(tmp_path / "data" / "train.csv")
    assert project_from_dict(d).data.path == "data/train.csv"


def test_input_shape_set_on_the_model_survives(tmp_path):
    model = Sequential([layers.Dense(2)], name="late")
    model.set_input_shape((None, 6))
    save_project(Project(model=model), tmp_path / "p.json")
    assert load_project(tmp_path / "p.json").model.input_shape == (None, 6)


# -- the compiled copy ---------------------------------------------------------------------------
def test_compiled_model_is_a_fresh_compiled_copy_keeping_fitting_weights():
    project = small_project()
    project.store_weights(trained(project))
    project.model.replace(2, layers.Dense(4, activation="softmax"))  # an edit after training
    model = project.compiled_model()
    assert model is not project.model and model.compiled
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.learning_rate == 0.01
    assert all(a is not b for a, b in zip(model.layers, project.model.layers))
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], project.model.layers[0].get_weights()[0])
    assert model.layers[2].get_weights()[0].shape == (8, 4)


def test_compiled_model_with_a_seed_is_repeatable():
    first = small_project().compiled_model().get_weights()
    second = small_project().compiled_model().get_weights()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_the_device_setting_is_saved_and_given_to_compile(tmp_path):
    project = small_project()
    assert project.compiled_model().device == "cpu"  # "auto" on a machine without a GPU
    project.compile.device = "cuda"  # Numba's CUDA simulator under pytest
    path = tmp_path / "p.json"
    save_project(project, path)
    loaded = load_project(path)
    assert loaded.compile.device == "cuda"
    assert loaded.compiled_model().device == "cuda"


# -- refusals --------------------------------------------------------------------------------------
def test_unknown_layer_type(tmp_path):
    def edit(d):
        d["layers"][1]["class_name"] = "Dense3D"

    message = refusal(tmp_path, edit)
    assert message.startswith("project.json: layers[1].class_name: unknown layer type 'Dense3D'")
    assert "Dense" in message.split("known types:")[1]


def test_negative_units_names_the_field(tmp_path):
    def edit(d):
        d["layers"][2]["config"]["units"] = -3

    message = refusal(tmp_path, edit)
    assert message.startswith("project.json: layers[2].config.units: ")
    assert "units=-3" in message


def test_unknown_layer_argument(tmp_path):
    def edit(d):
        d["layers"][0]["config"]["unitz"] = 3

    assert "project.json: layers[0].config: Dense: unknown argument 'unitz'" in refusal(tmp_path, edit)


def test_absurd_size_is_refused_before_allocating(tmp_path):
    def edit(d):
        d["input_shape"] = [None, 1 << 20]
        d["layers"][0]["config"]["batch_input_shape"] = [None, 1 << 20]
        d["layers"][0]["config"]["units"] = 1 << 16

    message = refusal(tmp_path, edit)
    assert message.startswith("project.json: layers[0] (dense_1, Dense): 68,719,542,272 parameters")
    assert "256.00 GB" in message


def test_model_bigger_than_memory_is_refused():
    model = Sequential([layers.Dense(1000, input_shape=(1000,))])
    check_model_size(model, "m", memory=10**9)
    expected = r"m: the model's 1,001,000 parameters would need 7.64 MB .* 976.56 KB of memory"
    with pytest.raises(ConfigError, match=expected):
        check_model_size(model, "m", memory=10**6)


def test_newer_format_is_refused(tmp_path):
    def edit(d):
        d["format"] = 2

    message = refusal(tmp_path, edit)
    assert message == ("project.json: written by a newer SeqStudio (project format 2); this version reads "
                       "format 1 and older: update SeqStudio to open it")


def test_corrupt_json_names_file_and_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": 1,\n  "layers": [\n}\n')
    with pytest.raises(ConfigError, match=r"broken.json: line 4, column 1: not valid JSON"):
        load_project(path)


def test_binary_garbage_is_not_a_project(tmp_path):
    path = tmp_path / "garbage.json"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match="garbage.json: not a project file"):
        load_project(path)


@pytest.mark.parametrize("field", ["format", "layers", "compile"])
def test_missing_field(tmp_path, field):
    message = refusal(tmp_path, lambda d: d.pop(field))
    assert message == f"project.json: {field}: missing field"


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["compile"].pop("loss"), "project.json: compile.loss: missing field"),
    (lambda d: d["compile"].update(optimizer={"class_name": "SGD", "config": {"momentum": -1}}),
     "project.json: compile.optimizer: SGD: invalid momentum=-1"),
    (lambda d: d["compile"].update(loss="hinged"), "project.json: compile.loss: unknown loss 'hinged'"),
    (lambda d: d["compile"].update(metrics=["acuracy"]), "project.json: compile.metrics[0]: unknown metric 'acuracy'"),
    (lambda d: d["compile"].update(optimizer="adamw"), "project.json: compile.optimizer: unknown optimizer 'adamw'"),
    (lambda d: d["compile"].update(epochs=0), "project.json: compile.epochs: expected a positive integer, got 0"),
    (lambda d: d["compile"].update(batch_size="32"),
     "project.json: compile.batch_size: expected a positive integer, got '32'"),
    (lambda d: d["compile"].update(shuffle="yes"), "project.json: compile.shuffle: expected true or false, got 'yes'"),
    (lambda d: d["compile"].update(device="tpu"),
     "project.json: compile.device: expected one of 'auto', 'cpu', 'cuda', got 'tpu'"),
    (lambda d: d["data"].update(validation_split=1.5),
     "project.json: data.validation_split: expected a number from 0 to below 1, got 1.5"),
    (lambda d: d["data"].update(std=[1.0]), "project.json: data.std: mean and std must be given together"),
    (lambda d: d["data"].update(mean=[0.0, None, 0, 0, 0]),
     "project.json: data.mean[1]: expected a finite number, got null"),
    (lambda d: d.update(compiler={}), "project.json: compiler: unknown field"),
    (lambda d: d.update(input_shape=[None, 0]), "project.json: input_shape[1]: expected a positive integer, got 0"),
    (lambda d: d.update(layers={}), "project.json: layers: expected a list of layers, got an object"),
    (lambda d: d["layers"][1]["config"].update(name="dense_1"),
     "project.json: layers[1].config.name: a layer named 'dense_1'"),
])
def test_bad_values_name_their_field(tmp_path, edit, expected):
    assert refusal(tmp_path, edit).startswith(expected)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SeqStudioError, match="no such project file"):
        load_project(tmp_path / "nothing.json")
    with pytest.raises(SeqStudioError, match="is a folder"):
        load_project(tmp_path)


def test_damaged_weights_file(tmp_path):
    path = tmp_path / "p.json"
    save_project(small_project(), path)
    weights_path(path).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ConfigError, match="p.weights.npz: damaged weights file"):
        load_project(path)


# -- atomic saves --------------------------------------------------------------------------------
def test_failed_save_leaves_the_previous_files_intact(tmp_path, monkeypatch):
    project = small_project()
    project.store_weights(trained(project))
    path = tmp_path / "p.json"
    save_project(project, path)
    before = path.read_bytes(), weights_path(path).read_bytes()

    def broken_savez(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(project_files.np, "savez", broken_savez)
    project.description = "changed"
    with pytest.raises(RuntimeError, match="disk on fire"):
        save_project(project, path)
    assert (path.read_bytes(), weights_path(path).read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "p.weights.npz"]


@pytest.mark.parametrize("failing_write", [1, 2])
def test_a_save_failing_on_either_file_leaves_both_previous_files(tmp_path, monkeypatch, failing_write):
    """The project file and its weights are one save: neither is replaced unless both were
    written (here the disk fills up while writing the first or the second)."""
    project = small_project()
    project.store_weights(trained(project))
    path = tmp_path / "p.json"
    save_project(project, path)
    before = path.read_bytes(), weights_path(path).read_bytes()
    calls = []
    real_fsync = os.fsync

    def fsync_until_full(fd):
        calls.append(fd)
        if len(calls) == failing_write:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_until_full)
    project.description = "changed"
    project.store_weights(trained(project))
    with pytest.raises(SeqStudioError, match="No space left on device"):
        save_project(project, path)
    assert (path.read_bytes(), weights_path(path).read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "p.weights.npz"]


def test_optimizer_by_name_is_read_as_its_full_config(tmp_path):
    d = project_to_dict(small_project())
    d["compile"]["optimizer"] = "sgd"
    optimizer = load_project(write(tmp_path, d)).compile.optimizer
    assert optimizer == optimizers.serialize(optimizers.SGD())
