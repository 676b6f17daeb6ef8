"""The CUDA embedding and reshaping kernels against their CPU twins (simulator): the index
check and lookup, the scatter-add with repeated indices, padding and its crop, nearest
upsampling and its block sums, vector repetition, channel dropout and axis permutation."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import embedding as cpu_embedding  # noqa: E402
from kernels import reshaping as cpu  # noqa: E402
from kernels.cuda import embedding as gpu_embedding  # noqa: E402
from kernels.cuda import reshaping as gpu  # noqa: E402

RNG = np.random.default_rng(5)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def on_gpu(function, out_shape, *args):
    """function(*args, out) run on the device; the output back on the host."""
    out = cuda.device_array(out_shape, np.float32)
    function(*(cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args), out)
    return out.copy_to_host()


def test_embedding_lookup_and_scatter_add_match_cpu():
    table, x = rand(5, 3), np.array([4, 0, 2, 4, 4, 1], np.float32)
    dy = rand(x.size, 3)
    ids = np.empty(x.size, np.int64)
    assert cpu_embedding.embedding_indices(x, 5, ids) == -1
    out, dtable = np.empty((x.size, 3), np.float32), np.empty_like(table)
    cpu_embedding.embedding_forward(ids, table, out)
    cpu_embedding.embedding_backward(ids, dy, dtable)

    ids_gpu, first_bad = cuda.device_array(x.size, np.int32), cuda.device_array(1, np.int32)
    assert gpu_embedding.embedding_indices(cuda.to_device(x), 5, ids_gpu, first_bad) == -1
    np.testing.assert_array_equal(ids_gpu.copy_to_host(), ids)
    np.testing.assert_array_equal(on_gpu(gpu_embedding.embedding_forward, out.shape, ids_gpu, table), out)
    dtable_gpu = cuda.to_device(rand(5, 3))  # stale values: the kernel starts from zeros
    gpu_embedding.embedding_backward(ids_gpu, cuda.to_device(dy), dtable_gpu)
    np.testing.assert_allclose(dtable_gpu.copy_to_host(), dtable, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("bad", [5.0, -1.0, np.nan, 4.5e9])
def test_embedding_indices_report_the_first_bad_position_like_cpu(bad):
    x = np.array([1, 2, bad, 0, bad, 3], np.float32)
    ids = np.empty(x.size, np.int64)
    expected = cpu_embedding.embedding_indices(x, 5, ids)
    assert expected == 2
    ids_gpu, first_bad = cuda.device_array(x.size, np.int32), cuda.device_array(1, np.int32)
    assert gpu_embedding.embedding_indices(cuda.to_device(x), 5, ids_gpu, first_bad) == expected


@pytest.mark.parametrize("shape,top,left,bottom,right", [((2, 3, 4, 2), 1, 2, 0, 1), ((2, 1, 5, 3), 0, 2, 0, 3)])
def test_zero_padding_and_crop_match_cpu(shape, top, left, bottom, right):
    x = rand(*shape)
    n, h, w, c = shape
    padded = (n, h + top + bottom, w + left + right, c)
    y = np.empty(padded, np.float32)
    cpu.zero_pad_2d(x, top, left, y)
    np.testing.assert_array_equal(on_gpu(gpu.zero_pad_2d, padded, x, top, left), y)
    dy, dx = rand(*padded), np.empty_like(x)
    cpu.crop_2d(dy, top, left, dx)
    np.testing.assert_array_equal(on_gpu(gpu.crop_2d, shape, dy, top, left), dx)


@pytest.mark.parametrize("size_h,size_w", [(2, 3), (1, 2)])
def test_nearest_upsampling_and_its_block_sums_match_cpu(size_h, size_w):
    x = rand(2, 2, 3, 2)
    big = (2, 2 * size_h, 3 * size_w, 2)
    y = np.empty(big, np.float32)
    cpu.upsample_nearest_2d(x, size_h, size_w, y)
    np.testing.assert_array_equal(on_gpu(gpu.upsample_nearest_2d, big, x, size_h, size_w), y)
    dy, dx = rand(*big), np.empty_like(x)
    cpu.upsample_nearest_2d_backward(dy, size_h, size_w, dx)
    got = on_gpu(gpu.upsample_nearest_2d_backward, x.shape, dy, size_h, size_w)
    np.testing.assert_allclose(got, dx, rtol=1e-6, atol=1e-6)


def test_repeat_vector_and_its_sum_match_cpu():
    x, dy = rand(2, 3), rand(2, 4, 3)
    y, dx = np.empty((2, 4, 3), np.float32), np.empty_like(x)
    cpu.repeat_vector(x, y)
    cpu.repeat_vector_backward(dy, dx)
    np.testing.assert_array_equal(on_gpu(gpu.repeat_vector, y.shape, x), y)
    np.testing.assert_allclose(on_gpu(gpu.repeat_vector_backward, x.shape, dy), dx, rtol=1e-6, atol=1e-6)


def test_channel_dropout_matches_cpu():
    x, uniform = rand(2, 5, 3), RNG.random((2, 3), dtype=np.float32)
    y = np.empty_like(x)
    cpu.channel_dropout(x, uniform, 0.4, y)
    np.testing.assert_array_equal(on_gpu(gpu.channel_dropout, x.shape, x, uniform, 0.4), y)


@pytest.mark.parametrize("axes", [(0, 2, 1), (0, 3, 1, 2), (0, 1, 2, 3), (2, 0, 3, 1)])
def test_permute_axes_matches_numpy(axes):
    x = rand(2, 3, 4) if len(axes) == 3 else rand(2, 3, 4, 5)
    expected = np.ascontiguousarray(x.transpose(axes))
    np.testing.assert_array_equal(on_gpu(gpu.permute_axes, expected.shape, x, axes), expected)
