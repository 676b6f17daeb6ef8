"""Callbacks: each one's effect on a real (tiny) training run."""

import csv

import numpy as np
import pytest

from builder import ConfigError, Sequential, layers, load_model, set_random_seed
from builder.callbacks import CSVLogger, EarlyStopping, LambdaCallback, ModelCheckpoint, ReduceLROnPlateau


def tiny_model():
    set_random_seed(0)
    model = Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def data(n=32):
    rng = np.random.default_rng(0)
    x = rng.random((n, 3)).astype(np.float32)
    return x, x.sum(axis=1, keepdims=True)


def test_early_stopping_stops_when_the_monitor_stalls():
    model = tiny_model()
    model.optimizer.learning_rate = 1e-9  # nothing improves
    stopper = EarlyStopping(monitor="loss", patience=2, min_delta=1e-3)
    history = model.fit(*data(), epochs=20, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 3
    assert stopper.stopped_epoch == 2


def test_early_stopping_restores_best_weights():
    model = tiny_model()
    stopper = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    model.fit(*data(), epochs=3, verbose=0, callbacks=[stopper])
    assert stopper.stopped_epoch == 0  # loss kept falling: no restore needed


def test_early_stopping_names_a_missing_monitor():
    model = tiny_model()
    with pytest.raises(Exception, match="val_loss.*available: loss, mae"):
        model.fit(*data(), epochs=1, verbose=0, callbacks=[EarlyStopping()])


def test_model_checkpoint_writes_loadable_models(tmp_path):
    model = tiny_model()
    pattern = str(tmp_path / "m-{epoch:02d}-{loss:.3f}.seqstudio")
    model.fit(*data(), epochs=2, verbose=0, callbacks=[ModelCheckpoint(pattern, monitor="loss")])
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and files[0].startswith("m-01-")
    restored = load_model(tmp_path / files[1])
    np.testing.assert_allclose(restored.predict(data()[0]), model.predict(data()[0]), rtol=1e-6)


def test_model_checkpoint_best_only(tmp_path):
    model = tiny_model()
    path = tmp_path / "best.seqstudio"
    model.fit(*data(), epochs=3, verbose=0, callbacks=[ModelCheckpoint(path, monitor="loss", save_best_only=True)])
    assert path.exists()


def test_reduce_lr_on_plateau_lowers_the_rate():
    model = tiny_model()
    model.optimizer.learning_rate = 1e-9
    reducer = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e-3)
    history = model.fit(*data(), epochs=4, verbose=0, callbacks=[reducer])
    assert model.optimizer.learning_rate < 1e-9
    assert "learning_rate" in history.history
    with pytest.raises(ConfigError, match="factor"):
        ReduceLROnPlateau(factor=2.0)


def test_csv_logger_writes_a_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    tiny_model().fit(*data(), epochs=3, verbose=0, callbacks=[CSVLogger(path)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    tiny_model().fit(*data(), epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    assert len(list(csv.reader(path.open()))) == 5


def test_lambda_callback_hooks_and_unknown_hook():
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, sorted(logs))))
    tiny_model().fit(*data(), epochs=2, verbose=0, callbacks=[callback])
    assert seen == [(0, ["loss", "mae"]), (1, ["loss", "mae"])]
    with pytest.raises(ConfigError, match="unknown hook"):
        LambdaCallback(on_everything=print)
