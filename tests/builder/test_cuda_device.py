"""compile(device=...): device selection and its errors, and each supported layer family on
device="cuda" (Numba's CUDA simulator) agreeing with the CPU within 1e-4: the forward pass,
then one training step through fit, with the trained weights back through get_weights.

The simulator runs every GPU thread in Python, so the models are tiny (batch 2-4)."""

import numpy as np
import pytest

pytest.importorskip("numba.cuda")

import builder  # noqa: E402
from builder import ConfigError, Sequential, devices, layers, optimizers, set_random_seed  # noqa: E402

TOLERANCE = dict(rtol=1e-4, atol=1e-4)


def mlp():
    return Sequential([layers.Dense(5, activation="relu", input_shape=(4,)), layers.Dropout(0.25),
                       layers.Dense(3, activation="softmax")])


# -- device selection ------------------------------------------------------------------------
def test_available_devices_is_exported_and_lists_the_simulator():
    assert builder.available_devices() == ["cpu", "cuda"]


def test_device_is_cpu_until_compiled_and_auto_never_takes_the_simulator():
    model = mlp()
    assert model.device == "cpu"
    model.compile("sgd", "mse")
    assert model.device == "cpu"
    model.compile("sgd", "mse", device="cuda")
    assert model.device == "cuda"


def test_auto_takes_a_real_gpu_for_models_it_can_run(monkeypatch):
    monkeypatch.setattr(devices, "gpu_present", lambda: True)
    model = mlp()
    model.compile("sgd", "mse", device="auto")
    assert model.device == "cuda"
    recurrent = Sequential([layers.GRU(2, input_shape=(3, 2))])
    recurrent.compile("sgd", "mse", device="auto")
    assert recurrent.device == "cpu"


def test_cuda_without_a_gpu_is_a_plain_config_error(monkeypatch):
    monkeypatch.setattr(devices, "_cuda_present", lambda: False)
    model = mlp()
    with pytest.raises(ConfigError, match=r"device='cuda': no CUDA GPU found \(install the 'cuda' extra"):
        model.compile("sgd", "mse", device="cuda")
    assert not model.compiled and model.device == "cpu"


def test_unknown_device_names_the_value_and_the_choices():
    with pytest.raises(ConfigError, match=r"invalid device='tpu': expected one of 'auto', 'cpu', 'cuda'"):
        mlp().compile("sgd", "mse", device="tpu")


@pytest.mark.parametrize("model, message", [
    (lambda: Sequential([layers.GRU(2, input_shape=(3, 2))]), "GRU has no CUDA kernels yet; compile with device='cpu'"),
    (lambda: Sequential([layers.LSTM(2, stateful=True, batch_input_shape=(2, 3, 2))]),
     "a stateful LSTM has no CUDA kernels yet"),
])
def test_layers_without_cuda_kernels_are_refused_at_compile(model, message):
    with pytest.raises(ConfigError, match=message):
        model().compile("sgd", "mse", device="cuda")


def test_layers_added_after_compile_are_refused_at_fit():
    model = mlp()
    model.compile("sgd", "mse", device="cuda")
    model.add(layers.Reshape((3, 1)))
    model.add(layers.SimpleRNN(1))
    with pytest.raises(ConfigError, match="SimpleRNN has no CUDA kernels yet"):
        model.fit(np.zeros((2, 4), np.float32), np.zeros((2, 1), np.float32), verbose=0)


# -- each family: the CPU and the device agree ---------------------------------------------------
def twins(make, optimizer, loss, metrics):
    """The same model twice, with the same initial weights: on the CPU, and on CUDA."""
    set_random_seed(1)
    cpu, gpu = make(), make()
    cpu.build()
    gpu.build()
    gpu.set_weights(cpu.get_weights())
    cpu.compile(optimizer(), loss, metrics=metrics, device="cpu")
    gpu.compile(optimizer(), loss, metrics=metrics, device="cuda")
    return cpu, gpu


def check_forward_and_one_step(make, x, y, optimizer, loss, metrics=None):
    cpu, gpu = twins(make, optimizer, loss, metrics)
    initial = gpu.get_weights()
    np.testing.assert_allclose(gpu.predict(x, verbose=0), cpu.predict(x, verbose=0), **TOLERANCE)
    histories = [fit_seeded(model, x, y, epochs=1) for model in (cpu, gpu)]
    assert histories[1].keys() == histories[0].keys()
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], **TOLERANCE, err_msg=key)
    trained = gpu.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(trained, initial)), "the step changed no weight"
    for got, expected in zip(trained, cpu.get_weights()):
        np.testing.assert_allclose(got, expected, **TOLERANCE)


def fit_seeded(model, x, y, epochs, callbacks=None):
    set_random_seed(7)  # the same shuffle and dropout draws on both devices
    return model.fit(x, y, batch_size=len(x), epochs=epochs, verbose=0, callbacks=callbacks).history


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_dense_mlp_with_dropout():
    y = np.eye(3, dtype=np.float32)[[0, 2, 1, 0]]
    check_forward_and_one_step(mlp, rand(4, 4), y, lambda: optimizers.Adam(learning_rate=0.05),
                               "categorical_crossentropy", ["accuracy"])


def test_conv2d_with_max_pooling():
    def make():
        return Sequential([layers.Conv2D(2, 3, padding="same", activation="relu", input_shape=(4, 4, 2)),
                           layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2, activation="softmax")])

    y = np.eye(2, dtype=np.float32)[[0, 1]]
    check_forward_and_one_step(make, rand(2, 4, 4, 2), y,
                               lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                               "categorical_crossentropy")


def test_conv1d_with_average_and_global_pooling():
    def make():
        return Sequential([layers.Conv1D(2, 2, padding="causal", activation="tanh", input_shape=(4, 2)),
                           layers.AveragePooling1D(2), layers.GlobalMaxPooling1D(),
                           layers.Dense(1, activation="sigmoid")])

    check_forward_and_one_step(make, rand(2, 4, 2), np.array([[0.0], [1.0]], np.float32),
                               lambda: optimizers.RMSprop(learning_rate=0.01), "binary_crossentropy", ["accuracy"])


@pytest.mark.parametrize("sequences", [True, False])
def test_lstm_with_dropouts(sequences):
    """The LSTM's output is the model's (each tiled product costs seconds in the simulator)."""
    def make():
        return Sequential([layers.LSTM(1, return_sequences=sequences, go_backwards=sequences, dropout=0.3,
                                       recurrent_dropout=0.3, input_shape=(2, 2))])

    y = rand(2, 2, 1, seed=1) if sequences else rand(2, 1, seed=1)
    check_forward_and_one_step(make, rand(2, 2, 2), y, lambda: optimizers.SGD(learning_rate=0.1), "mse")


class HalveWeightsAfterFirstEpoch(builder.callbacks.Callback):
    """Reads the weights at the first epoch's end and replaces them, as EarlyStopping's
    restore_best_weights does."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.seen = self.model.get_weights()
            self.model.set_weights([w * 0.5 for w in self.seen])


def test_epoch_end_callbacks_see_and_replace_the_device_weights():
    def make():
        return Sequential([layers.Dense(1, input_shape=(3,))])

    cpu, gpu = twins(make, lambda: optimizers.SGD(learning_rate=0.1), "mse", None)
    x, y = rand(2, 3), rand(2, 1, seed=1)
    watchers = [HalveWeightsAfterFirstEpoch(), HalveWeightsAfterFirstEpoch()]
    for model, watcher in zip((cpu, gpu), watchers):
        fit_seeded(model, x, y, epochs=2, callbacks=[watcher])
    for got, expected in zip(watchers[1].seen, watchers[0].seen):
        np.testing.assert_allclose(got, expected, **TOLERANCE)
    for got, expected in zip(gpu.get_weights(), cpu.get_weights()):
        np.testing.assert_allclose(got, expected, **TOLERANCE)
