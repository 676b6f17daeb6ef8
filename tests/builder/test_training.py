"""The training loop through the seed's examples, as the guide writes them, with dummy data."""

import numpy as np
import pytest
from reference import keras_or_skip

from builder import DataError, SeqStudioError, Sequential, custom_metric, layers, losses, metrics, optimizers
from builder import set_random_seed, to_categorical


@pytest.fixture(autouse=True)
def _seed():
    set_random_seed(1234)


def dummy(rows, features, classes=None, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((rows, features)).astype(np.float32)
    if classes is None:
        return x, np.round(rng.random((rows, 1)))
    return x, to_categorical(np.round(rng.random(rows) * (classes - 1)), num_classes=classes)


def test_seed_mlp_softmax_example():
    x_train, y_train = dummy(1000, 20, 10)
    x_test, y_test = dummy(100, 20, 10, seed=1)
    model = Sequential()
    model.add(layers.Dense(64, activation="relu", input_shape=(20,)))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"],
                  optimizer=optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True))
    history = model.fit(x_train, y_train, epochs=20, batch_size=128, verbose=0)
    score = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert len(history.history["loss"]) == 20
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(score) == 2 and 0.0 <= score[1] <= 1.0 and np.isfinite(score[0])


def test_seed_mlp_binary_example():
    x_train, y_train = dummy(1000, 20)
    x_test, y_test = dummy(100, 20, seed=1)
    model = Sequential([
        layers.Dense(64, activation="relu", input_shape=(20,)),
        layers.Dropout(0.5),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=20, batch_size=128, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert 0.0 <= accuracy <= 1.0


def test_seed_first_model_with_activation_layers():
    model = Sequential([
        layers.Dense(32, input_shape=(784,)),
        layers.Activation("relu"),
        layers.Dense(10),
        layers.Activation("softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = dummy(64, 784, 10)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert model.predict(x).shape == (64, 10)
    np.testing.assert_allclose(model.predict(x).sum(axis=1), 1.0, rtol=1e-5)


def test_seed_regression_and_binary_compile_variants():
    x, y = dummy(200, 100)
    regression = Sequential([layers.Dense(32, activation="relu", input_shape=(100,)), layers.Dense(1)])
    regression.compile(optimizer=optimizers.RMSprop(lr=0.002), loss="mse")
    assert regression.optimizer.learning_rate == pytest.approx(0.002)
    first = regression.fit(x, y, epochs=5, verbose=0).history["loss"]
    assert first[-1] < first[0]
    assert isinstance(regression.evaluate(x, y, verbose=0), float)

    binary = Sequential([layers.Dense(32, activation="relu", input_shape=(100,)), layers.Dense(1, activation="sigmoid")])
    binary.compile(optimizer=optimizers.RMSprop(), loss=losses.binary_crossentropy, metrics=metrics.binary_accuracy)
    history = binary.fit(x, y, epochs=2, verbose=0)
    assert "binary_accuracy" in history.history


def test_seed_custom_metric_mean_pred():
    metric_mean_pred = custom_metric("mean_pred", lambda y_true, y_pred: np.mean(y_pred))
    model = Sequential([layers.Dense(1, activation="sigmoid", input_shape=(100,))])
    model.compile(optimizer=optimizers.RMSprop(), loss=losses.binary_crossentropy,
                  metrics=["accuracy", metric_mean_pred])
    x, y = dummy(100, 100)
    loss, accuracy, mean_pred = model.evaluate(x, y, batch_size=30, verbose=0)
    np.testing.assert_allclose(mean_pred, model.predict(x).mean(), rtol=1e-5)
    assert accuracy == pytest.approx(np.mean((model.predict(x) > 0.5) == y))


def test_validation_split_and_data_give_val_keys():
    x, y = dummy(100, 8, 3)
    model = Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    split = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0).history
    data = model.fit(x, y, epochs=1, validation_data=(x[:10], y[:10]), verbose=0).history
    for history in (split, data):
        assert {"loss", "accuracy", "val_loss", "val_accuracy"} == set(history)


def test_sparse_targets_and_accuracy_resolution():
    x, y = dummy(60, 5, 4)
    labels = y.argmax(axis=1)
    model = Sequential([layers.Dense(4, activation="softmax", input_shape=(5,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(x, labels, verbose=0)
    assert accuracy == pytest.approx(np.mean(model.predict(x).argmax(axis=1) == labels))


def test_batch_level_api():
    x, y = dummy(16, 4, 2)
    model = Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    before = model.test_on_batch(x, y)
    model.train_on_batch(x, y)
    after = model.test_on_batch(x, y)
    assert after[0] < before[0]
    out = model.predict_on_batch(x)
    out[:] = 0
    assert model.predict_on_batch(x).any()


def test_stop_training_ends_fit_after_the_current_batch():
    from builder.callbacks import LambdaCallback

    x, y = dummy(320, 4, 2)
    model = Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    seen = []

    def on_batch_end(batch, logs):
        seen.append(batch)
        if batch == 2:
            model.stop_training = True

    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                        callbacks=[LambdaCallback(on_train_batch_end=on_batch_end)])
    assert seen == [0, 1, 2]
    assert len(history.history["loss"]) == 1


def test_set_random_seed_makes_runs_repeatable():
    x, y = dummy(100, 6, 3)

    def run():
        set_random_seed(42)
        model = Sequential([layers.Dense(8, activation="relu", input_shape=(6,)), layers.Dropout(0.3),
                            layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model.fit(x, y, epochs=3, verbose=0).history["loss"]

    assert run() == run()


def test_verbose_progress_output(capsys):
    x, y = dummy(64, 4, 2)
    model = Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2" in out and "accuracy:" in out and "loss:" in out


def test_data_errors_are_clear():
    model = Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    x, y = dummy(10, 4, 2)
    with pytest.raises(SeqStudioError, match="not compiled"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(DataError, match=r"shape \(5,\) but the model expects \(4,\)"):
        model.fit(np.zeros((10, 5)), y, verbose=0)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match="NaN.*sample 3"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(DataError, match="10 samples but y has 9"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(DataError, match="numeric"):
        model.fit(np.array([["a"] * 4] * 10), y, verbose=0)


def test_fixed_batch_size_requires_whole_batches():
    model = Sequential([layers.Dense(2, activation="softmax", batch_input_shape=(8, 4))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = dummy(20, 4, 2)
    with pytest.raises(DataError, match="fixed batch size of 8.*20 samples"):
        model.fit(x, y, verbose=0)
    model.fit(x[:16], y[:16], verbose=0)


def _keras_twin(keras, ours, optimizer):
    twin = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(3, activation="softmax")])
    twin.set_weights(ours.get_weights())
    twin.compile(optimizer=optimizer, loss="categorical_crossentropy")
    return twin


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "nadam"])
def test_training_matches_keras(name):
    keras = keras_or_skip()
    x, y = dummy(96, 6, 3)
    ours = Sequential([layers.Dense(8, activation="tanh", input_shape=(6,)), layers.Dense(3, activation="softmax")])
    settings = {"sgd": dict(learning_rate=0.1, momentum=0.9, nesterov=True)}.get(name, {})
    ours.compile(optimizer=optimizers.get(name).__class__(**settings), loss="categorical_crossentropy")
    twin = _keras_twin(keras, ours, keras.optimizers.get({"class_name": name, "config": settings}))
    ours.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    twin.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    for got, want in zip(ours.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_a_smaller_batch_works_in_a_view_of_the_full_batchs_buffer():
    layer = layers.Dense(4)
    layer.build((None, 3), np.random.default_rng(0))
    full = layer.buffer("y", (32, 4))
    last = layer.buffer("y", (4, 4))
    assert last.shape == (4, 4) and np.shares_memory(full, last)
    assert layer.buffer("y", (32, 4)).__array_interface__["data"] == full.__array_interface__["data"]


def test_an_uneven_last_batch_gives_the_same_results_as_whole_batches():
    set_random_seed(3)
    model = Sequential([
        layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 2)), layers.BatchNormalization(),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(1).standard_normal((50, 8, 8, 2)).astype(np.float32)
    y = to_categorical(np.arange(50) % 3, 3)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)  # batches of 16, 16, 16, 2
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0), model.predict(x, batch_size=50, verbose=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=16, verbose=0), model.evaluate(x, y, batch_size=25, verbose=0),
                               rtol=1e-5)
