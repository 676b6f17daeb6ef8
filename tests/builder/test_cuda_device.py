"""compile(device=...): device selection and its errors, and how the weights and optimizer
slots move between host and device: epoch-end callbacks see and may replace them, and the
batch methods, evaluate and the optimizer state agree with the CPU (Numba's CUDA simulator,
tiny models: every simulated GPU thread runs in Python)."""

import numpy as np
import pytest

pytest.importorskip("numba.cuda")

import builder  # noqa: E402
from builder import ConfigError, Sequential, devices, layers, optimizers, set_random_seed  # noqa: E402
from builder.layers.base import Layer  # noqa: E402
from cuda_twins import TOLERANCE, fit_seeded, rand, twins  # noqa: E402


def mlp():
    return Sequential([layers.Dense(5, activation="relu", input_shape=(4,)), layers.Dropout(0.25),
                       layers.Dense(3, activation="softmax")])


class Doubling(Layer):
    """A layer no device executor knows (registered nowhere): what compile(device=...) refuses."""

    def forward(self, x, training=False):
        return x * 2

    def backward(self, dy, need_dx=True):
        return dy * 2 if need_dx else None


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
    assert recurrent.device == "cuda"
    unknown = Sequential([Doubling(input_shape=(3,))])
    unknown.compile("sgd", "mse", device="auto")
    assert unknown.device == "cpu"


def test_cuda_without_a_gpu_is_a_plain_config_error(monkeypatch):
    monkeypatch.setattr(devices, "_cuda_present", lambda: False)
    model = mlp()
    with pytest.raises(ConfigError, match=r"device='cuda': no CUDA GPU found \(install the 'cuda' extra"):
        model.compile("sgd", "mse", device="cuda")
    assert not model.compiled and model.device == "cpu"


def test_unknown_device_names_the_value_and_the_choices():
    with pytest.raises(ConfigError, match=r"invalid device='tpu': expected one of 'auto', 'cpu', 'cuda'"):
        mlp().compile("sgd", "mse", device="tpu")


def test_layers_without_cuda_kernels_are_refused_at_compile():
    model = Sequential([layers.Dense(3, input_shape=(4,)), Doubling()])
    with pytest.raises(ConfigError, match="Doubling has no CUDA kernels yet; compile with device='cpu'"):
        model.compile("sgd", "mse", device="cuda")


def test_layers_added_after_compile_are_refused_at_fit():
    model = mlp()
    model.compile("sgd", "mse", device="cuda")
    model.add(Doubling())
    with pytest.raises(ConfigError, match="Doubling has no CUDA kernels yet"):
        model.fit(np.zeros((2, 4), np.float32), np.zeros((2, 3), np.float32), verbose=0)


# -- host and device in step ---------------------------------------------------------------------
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


def test_batch_methods_and_optimizer_slots_match_the_cpu():
    def make():
        return Sequential([layers.Dense(2, activation="sigmoid", input_shape=(3,))])

    cpu, gpu = twins(make, lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9), "mse", ["mae"])
    x, y = rand(2, 3), rand(2, 2, seed=1)
    results = [(model.train_on_batch(x, y), model.test_on_batch(x, y), model.predict_on_batch(x))
               for model in (cpu, gpu)]
    for got, expected in zip(*reversed(results)):
        np.testing.assert_allclose(got, expected, **TOLERANCE)
    np.testing.assert_allclose(gpu.optimizer.get_state()["momentum"], cpu.optimizer.get_state()["momentum"],
                               **TOLERANCE)
    assert gpu.optimizer.iterations == cpu.optimizer.iterations == 1


class PredictAfterEachBatch(builder.callbacks.Callback):
    def __init__(self, x):
        super().__init__()
        self.x, self.predictions = x, []

    def on_train_batch_end(self, batch, logs=None):
        self.predictions.append(self.model.predict(self.x, verbose=0))


def test_predict_inside_fit_uses_the_device_weights_without_resetting_them():
    def make():
        return Sequential([layers.Dense(1, input_shape=(3,))])

    cpu, gpu = twins(make, lambda: optimizers.SGD(learning_rate=0.1), "mse", None)
    x, y = rand(4, 3), rand(4, 1, seed=1)
    watchers = [PredictAfterEachBatch(x[:2]), PredictAfterEachBatch(x[:2])]
    for model, watcher in zip((cpu, gpu), watchers):
        set_random_seed(7)
        model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[watcher])
    np.testing.assert_allclose(watchers[1].predictions, watchers[0].predictions, **TOLERANCE)
    for got, expected in zip(gpu.get_weights(), cpu.get_weights()):
        np.testing.assert_allclose(got, expected, **TOLERANCE)
