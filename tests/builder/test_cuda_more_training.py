"""Normalization, Embedding and the reshaping layers on device="cuda" (Numba's CUDA
simulator) agreeing with the CPU within 1e-4: the forward pass, one training step through
fit (dropout draws and all), and every weight back by get_weights, BatchNormalization's
moving statistics included; and every catalog layer type has a device executor. Tiny
models (batch 2-4): every simulated GPU thread runs in Python."""

import numpy as np
import pytest

pytest.importorskip("numba.cuda")

from builder import DataError, Sequential, layers, load_model, optimizers  # noqa: E402
from builder.catalog import layer_types  # noqa: E402
from builder.cuda.registry import EXECUTORS  # noqa: E402
from cuda_twins import TOLERANCE, check_forward_and_one_step, fit_seeded, rand, twins  # noqa: E402

def sgd():
    return optimizers.SGD(learning_rate=0.1)


def test_batch_normalization_after_dense():
    """No bias before the normalization: its true gradient is 0, and Adam would blow up the
    rounding noise in its place into steps that differ between devices."""
    def make():
        return Sequential([layers.Dense(3, use_bias=False, input_shape=(3,)), layers.BatchNormalization(momentum=0.8),
                           layers.Activation("relu"), layers.Dense(2, activation="softmax")])

    y = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    check_forward_and_one_step(make, rand(4, 3), y, lambda: optimizers.Adam(learning_rate=0.05),
                               "categorical_crossentropy", ["accuracy"])


def test_batch_normalization_after_conv2d_on_the_channels_and_on_another_axis():
    def make():
        return Sequential([layers.Conv2D(2, 2, input_shape=(3, 3, 1)), layers.BatchNormalization(momentum=0.5),
                           layers.BatchNormalization(axis=1, scale=False), layers.Flatten(), layers.Dense(1)])

    check_forward_and_one_step(make, rand(2, 3, 3, 1), rand(2, 1, seed=1), sgd, "mse")


def test_layer_normalization_on_the_last_axis_and_on_another():
    def make():
        return Sequential([layers.Dense(3, input_shape=(2, 2)), layers.LayerNormalization(axis=1, center=False),
                           layers.LayerNormalization(), layers.Flatten(), layers.Dense(1)])

    check_forward_and_one_step(make, rand(2, 2, 2), rand(2, 1, seed=1), sgd, "mse")


@pytest.mark.parametrize("reduce", [layers.Flatten, layers.GlobalAveragePooling1D])
def test_embedding_then_dense(reduce):
    def make():
        return Sequential([layers.Embedding(5, 2, input_shape=(3,)), reduce(), layers.Dense(1, activation="sigmoid")])

    x = np.array([[4, 0, 4], [1, 4, 2]], np.float32)  # index 4 three times: the scatter-add accumulates
    check_forward_and_one_step(make, x, np.array([[1.0], [0.0]], np.float32), sgd, "binary_crossentropy")


def test_embedding_index_out_of_range_is_the_cpu_data_error():
    cpu, gpu = twins(lambda: Sequential([layers.Embedding(5, 2, input_shape=(3,)), layers.Flatten()]), sgd, "mse", None)
    x = np.array([[1, 2, 3], [4, 7, 0]], np.float32)
    with pytest.raises(DataError) as on_cpu:
        cpu.predict(x, verbose=0)
    with pytest.raises(DataError) as on_gpu:
        gpu.predict(x, verbose=0)
    assert str(on_gpu.value) == str(on_cpu.value)
    assert "index 7 at position (1, 1)" in str(on_gpu.value)


def test_every_reshaping_layer_in_one_model():
    """A Dense first, so that each layer's backward reaches a trained weight."""
    def make():
        return Sequential([
            layers.Dense(2, input_shape=(3, 2)), layers.ZeroPadding1D((1, 2)), layers.UpSampling1D(2),
            layers.SpatialDropout1D(0.3), layers.Permute((2, 1)), layers.Reshape((2, 3, 4)), layers.Permute((3, 1, 2)),
            layers.ZeroPadding2D(((1, 0), (0, 1))), layers.UpSampling2D((1, 2)), layers.SpatialDropout2D(0.5),
            layers.Flatten(), layers.Dense(3), layers.RepeatVector(2), layers.Dense(1), layers.Flatten(),
        ])

    check_forward_and_one_step(make, rand(2, 3, 2), rand(2, 2, seed=1), sgd, "mse")


def test_moving_statistics_come_back_through_save_after_fit(tmp_path):
    """Two epochs (an epoch-end download and upload between them); predict then computes with
    the moving statistics."""
    def make():
        return Sequential([layers.Dense(2, input_shape=(2,)), layers.BatchNormalization(momentum=0.5)])

    cpu, gpu = twins(make, sgd, "mse", None)
    x, y = rand(4, 2), rand(4, 2, seed=1)
    for model in (cpu, gpu):
        fit_seeded(model, x, y, epochs=2)
    gpu.save(tmp_path / "model.seqstudio")
    moving = load_model(tmp_path / "model.seqstudio").layers[1].get_weights()[2:]
    assert not np.array_equal(moving[0], np.zeros(2, np.float32)), "the moving mean never came back"
    for got, expected in zip(moving, cpu.layers[1].get_weights()[2:]):
        np.testing.assert_allclose(got, expected, **TOLERANCE)
    np.testing.assert_allclose(gpu.predict(x, verbose=0), cpu.predict(x, verbose=0), **TOLERANCE)  # moving statistics


def test_every_catalog_layer_type_has_a_device_executor():
    assert [t.name for t in layer_types() if t.cls not in EXECUTORS] == []
