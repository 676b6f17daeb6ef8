"""model.save / load_model: round trips, resumable optimizer state, refusals of foreign files."""

import json
import zipfile

import numpy as np
import pytest

from builder import SeqStudioError, Sequential, layers, load_model, set_random_seed, to_categorical
from builder.saving import save_weights


def trained(tmp_path):
    set_random_seed(0)
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)), layers.Dropout(0.2),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 5)), to_categorical(rng.integers(0, 3, 40), 3)
    model.fit(x, y, epochs=2, verbose=0)
    return model, x, y


def test_round_trip_predictions_and_compile(tmp_path):
    model, x, y = trained(tmp_path)
    path = tmp_path / "any name.bin"
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    assert [l.name for l in restored.layers] == [l.name for l in model.layers]
    assert restored.loss.name == "categorical_crossentropy"
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_training_resumes_identically_after_load(tmp_path):
    model, x, y = trained(tmp_path)
    model.save(tmp_path / "m.seqstudio")
    restored = load_model(tmp_path / "m.seqstudio")
    assert restored.optimizer.iterations == model.optimizer.iterations
    set_random_seed(5)  # the same dropout masks for both
    model.fit(x, y, epochs=1, shuffle=False, verbose=0)
    set_random_seed(5)
    restored.fit(x, y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_foreign_and_damaged_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(SeqStudioError, match="not a SeqStudio model file"):
        load_model(text)
    with pytest.raises(SeqStudioError, match="no such file"):
        load_model(tmp_path / "missing.seqstudio")
    with pytest.raises(SeqStudioError, match="folder"):
        load_model(tmp_path)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("x.txt", "x")
    with pytest.raises(SeqStudioError, match="not a SeqStudio model file"):
        load_model(other)


def test_pickled_arrays_are_never_loaded(tmp_path):
    model, _, _ = trained(tmp_path)
    path = tmp_path / "m.seqstudio"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = archive.read("model.json")
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as inner:
        inner.writestr("0000.npy", buffer.getvalue())
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", config)
        archive.writestr("weights.npz", evil.getvalue())
    with pytest.raises(SeqStudioError, match="weights.npz is damaged"):
        load_model(path)


def test_newer_format_is_refused(tmp_path):
    model, _, _ = trained(tmp_path)
    path = tmp_path / "m.seqstudio"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["model.json"])
    config["version"] = 99
    members["model.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(SeqStudioError, match="newer SeqStudio"):
        load_model(path)


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model, _, _ = trained(tmp_path)
    path = tmp_path / "m.seqstudio"
    model.save(path)
    before = path.read_bytes()
    import builder.saving as saving

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(saving, "_npz_bytes", broken)
    with pytest.raises(SeqStudioError, match="No space left"):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.seqstudio"]


def test_save_weights_alone(tmp_path):
    model, _, _ = trained(tmp_path)
    save_weights(model, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as data:
        assert [data[k].shape for k in sorted(data.files)] == [w.shape for w in model.get_weights()]


def test_custom_metric_reloads_through_custom_objects(tmp_path):
    from builder import ConfigError, custom_metric

    mean_pred = custom_metric("mean_pred", lambda y_true, y_pred: np.mean(y_pred))
    model = Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy", mean_pred])
    model.save(tmp_path / "m.seqstudio")
    with pytest.raises(ConfigError, match="mean_pred"):
        load_model(tmp_path / "m.seqstudio")
    restored = load_model(tmp_path / "m.seqstudio", custom_objects={"mean_pred": mean_pred})
    x, y = np.ones((4, 3)), np.ones((4, 1))
    assert len(restored.evaluate(x, y, verbose=0)) == 3
