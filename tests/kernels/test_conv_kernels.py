"""Convolution kernels against straightforward float64 numpy references on tiny shapes."""

import numpy as np
import pytest
from scipy.special import erf

from kernels import activations as act_ids
from kernels.conv import (
    BLOCK_FLOATS,
    SMALL_GEMM,
    block_rows,
    conv_backward,
    conv_forward,
    gather_patches,
    gather_transposed,
    output_determined,
    partials_shapes,
    scratch_shape,
)
from kernels.dense import EMPTY

RNG = np.random.default_rng(11)

# (n, h, w, c, filters, kh, kw, sh, sw, dh, dw, pad_top, pad_bottom, pad_left, pad_right)
CASES = [
    (2, 5, 6, 3, 4, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0),
    (3, 7, 5, 2, 3, 3, 2, 2, 2, 1, 1, 1, 1, 0, 1),
    (2, 6, 7, 2, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1, 2),
    (2, 1, 9, 4, 3, 1, 3, 1, 3, 1, 1, 0, 0, 1, 1),
    (1, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),
    (3, 5, 5, 2, 5, 5, 5, 2, 1, 1, 1, 2, 2, 2, 2),
]


def geometry(case):
    n, h, w, c, f, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr = case
    out_h = (h + pt + pb - (kh - 1) * dh - 1) // sh + 1
    out_w = (w + pl + pr - (kw - 1) * dw - 1) // sw + 1
    return out_h, out_w, (kh, kw, sh, sw, dh, dw, pt, pl)


def padded(x, case):
    pt, pb, pl, pr = case[11:]
    return np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))


def patches(x, case):
    """(n, out_h, out_w, kh, kw, c) receptive fields, in float64."""
    n, h, w, c, f, kh, kw, sh, sw, dh, dw = case[:11]
    out_h, out_w, _ = geometry(case)
    xp = padded(x, case)
    out = np.zeros((n, out_h, out_w, kh, kw, c))
    for i in range(out_h):
        for j in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    out[:, i, j, a, b] = xp[:, i * sh + a * dh, j * sw + b * dw]
    return out


def reference_forward(x, kernel, bias, case):
    return np.einsum("nijabc,abcf->nijf", patches(x, case), kernel.astype(np.float64)) + bias


def reference_input_grad(dz, kernel, case):
    n, h, w, c, f, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr = case
    out_h, out_w, _ = geometry(case)
    dxp = np.zeros((n, h + pt + pb, w + pl + pr, c))
    for i in range(out_h):
        for j in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    dxp[:, i * sh + a * dh, j * sw + b * dw] += dz[:, i, j] @ kernel[a, b].T.astype(np.float64)
    return dxp[:, pt : pt + h, pl : pl + w]


def random_case(case):
    n, h, w, c, f, kh, kw = case[:7]
    x = RNG.standard_normal((n, h, w, c)).astype(np.float32)
    kernel = RNG.standard_normal((kh, kw, c, f)).astype(np.float32)
    bias = RNG.standard_normal(f).astype(np.float32)
    return x, kernel, bias


def transposed_kernel(kernel):
    kh, kw, c, f = kernel.shape
    return np.ascontiguousarray(kernel.transpose(0, 1, 3, 2)).reshape(kh * kw * f, c)


@pytest.mark.parametrize("case", CASES)
def test_gathers_match_patches_and_the_input_gradient(case):
    x, kernel, _ = random_case(case)
    out_h, out_w, window = geometry(case)
    n, h, w, c = x.shape
    f = kernel.shape[3]
    expected = patches(x, case).reshape(n * out_h * out_w, -1).astype(np.float32)
    cols = np.full_like(expected, np.nan)
    middle = len(expected) // 3
    for r0, r1 in ((0, middle), (middle, len(expected))):  # any range of output pixels, across samples
        gather_patches(x, window, out_h, out_w, r0, r1, cols[r0:])
    np.testing.assert_array_equal(cols, expected)

    dz = RNG.standard_normal((n, out_h, out_w, f)).astype(np.float32)
    dcols = np.full((n * h * w, kernel[..., 0].size // c * f), np.nan, np.float32)
    gather_transposed(dz, window, h, w, 1, len(dcols), dcols[1:])
    gather_transposed(dz, window, h, w, 0, 1, dcols)
    dx = (dcols.astype(np.float64) @ transposed_kernel(kernel)).reshape(x.shape)
    np.testing.assert_allclose(dx, reference_input_grad(dz, kernel, case), rtol=1e-5, atol=1e-5)


def run_forward(x, kernel, bias, act, case, block, workers=2, in_place=None):
    """conv_forward with `block` output pixels per block of columns and `workers` slices; y is
    z when in_place (by default when output_determined(act))."""
    n, h, w, c = x.shape
    f = kernel.shape[3]
    out_h, out_w, window = geometry(case)
    z = np.empty((n, out_h, out_w, f), np.float32)
    y = z if (output_determined(act) if in_place is None else in_place) else np.empty_like(z)
    scratch = np.empty((workers, block * kernel[..., 0].size), np.float32)
    conv_forward(x, kernel.reshape(-1, f), bias, act, window, scratch, z, y)
    return z, y


def gelu(z):
    return 0.5 * z * (1 + erf(z / np.sqrt(2)))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("block, workers", [(1, 1), (5, 2), (7, 3), (1000, 2)])
@pytest.mark.parametrize("act, function, in_place", [
    (act_ids.TANH, np.tanh, True),
    (act_ids.GELU, gelu, False),
    (act_ids.RELU, lambda z: np.maximum(z, 0), True),
    (act_ids.RELU, lambda z: np.maximum(z, 0), False),
    (act_ids.LINEAR, lambda z: z, True),
])
def test_conv_forward_matches_reference_for_any_blocking(case, block, workers, act, function, in_place):
    x, kernel, bias = random_case(case)
    z, y = run_forward(x, kernel, bias, act, case, block, workers, in_place)
    expected = reference_forward(x, kernel, bias, case)
    np.testing.assert_allclose(y, function(expected), rtol=1e-5, atol=1e-5)
    if not output_determined(act):
        np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-4)


def test_conv_forward_softmax_and_no_bias():
    case = CASES[1]
    x, kernel, _ = random_case(case)
    _, y = run_forward(x, kernel, EMPTY, act_ids.SOFTMAX, case, 4)
    z = reference_forward(x, kernel, 0.0, case)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-6)


def run_backward(x, kernel, bias, act, case, block, workers, dy, with_dx=True, in_place=None):
    """conv_backward after run_forward: (dkernel, dbias, dx or None)."""
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    z, y = run_forward(x, kernel, bias, act, case, block, workers, in_place)
    dkernel_parts, dbias_parts = (np.empty((workers, *shape[1:]), np.float32)
                                  for shape in partials_shapes(kh * kw * c, f, bias.size > 0))
    scratch = np.empty((workers, block * kh * kw * max(c, f)), np.float32)
    dkernel, dbias = np.empty_like(kernel), np.empty_like(bias)
    dx = np.empty_like(x) if with_dx else None
    conv_backward(x, kernel, z, y, act, geometry(case)[2], scratch, dy, dkernel_parts, dbias_parts,
                  np.empty((kh * kw * f, c), np.float32), dkernel, dbias, dx)
    return dkernel, dbias, dx


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("block, workers", [(1, 2), (6, 3), (1000, 2)])
@pytest.mark.parametrize("act, in_place", [
    (act_ids.LINEAR, True), (act_ids.RELU, True), (act_ids.RELU, False), (act_ids.SIGMOID, True), (act_ids.GELU, False),
])
def test_conv_backward_matches_reference(case, block, workers, act, in_place):
    x, kernel, bias = random_case(case)
    out_h, out_w, _ = geometry(case)
    dy = RNG.standard_normal((x.shape[0], out_h, out_w, kernel.shape[3])).astype(np.float32)
    dkernel, dbias, dx = run_backward(x, kernel, bias, act, case, block, workers, dy, in_place=in_place)

    pre = reference_forward(x, kernel, bias, case)
    s = 1 / (1 + np.exp(-pre))
    slope = {
        act_ids.LINEAR: 1.0,
        act_ids.RELU: pre > 0,
        act_ids.SIGMOID: s * (1 - s),
        act_ids.GELU: 0.5 * (1 + erf(pre / np.sqrt(2))) + pre * np.exp(-0.5 * pre**2) / np.sqrt(2 * np.pi),
    }[act]
    dz_ref = dy * slope
    np.testing.assert_allclose(dbias, dz_ref.sum(axis=(0, 1, 2)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dkernel, np.einsum("nijabc,nijf->abcf", patches(x, case), dz_ref), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx, reference_input_grad(dz_ref, kernel, case), rtol=1e-4, atol=1e-4)


def test_conv_backward_without_bias_or_input_grad():
    case = CASES[2]
    x, kernel, _ = random_case(case)
    out_h, out_w, _ = geometry(case)
    dy = RNG.standard_normal((x.shape[0], out_h, out_w, kernel.shape[3])).astype(np.float32)
    dkernel, _, dx = run_backward(x, kernel, EMPTY, act_ids.LINEAR, case, 3, 2, dy, with_dx=False)
    assert dx is None
    np.testing.assert_allclose(dkernel, np.einsum("nijabc,nijf->abcf", patches(x, case), dy), rtol=1e-4, atol=1e-4)


def test_in_place_activations_are_those_known_from_their_output():
    assert output_determined(act_ids.RELU) and output_determined(act_ids.SOFTMAX)
    assert not output_determined(act_ids.GELU) and not output_determined(act_ids.HARD_SIGMOID)


def test_blocks_fit_the_small_gemm_size_or_the_float_budget_and_the_scratch():
    assert block_rows(288, 32) == SMALL_GEMM // (288 * 32)
    assert block_rows(4096, 512) == BLOCK_FLOATS // 4096
    assert block_rows(288, 32, np.empty((2, 10 * 288 + 5), np.float32)) == 10
    assert block_rows(1 << 20, 64) == 1


def test_scratch_holds_a_block_of_either_pass():
    workers, floats = scratch_shape(10, 27, 32, 40, 3)
    assert workers >= 1 and floats == 40 * 9 * 32  # all 40 input pixels in one block of dx
    floats = scratch_shape(1 << 20, 288, 32, 1 << 20, 32)[1]
    assert floats == block_rows(288, 32) * 288
    assert scratch_shape(1 << 20, 288, 32)[1] == floats


def test_backward_refuses_partials_for_another_number_of_workers():
    case = CASES[0]
    x, kernel, bias = random_case(case)
    kh, kw, c, f = kernel.shape
    z, y = run_forward(x, kernel, bias, act_ids.RELU, case, 4, workers=2)
    dkernel_parts, dbias_parts = (np.empty(shape, np.float32) for shape in partials_shapes(kh * kw * c, f, True, 1))
    with pytest.raises(ValueError, match="one slice per scratch slice"):
        conv_backward(x, kernel, z, y, act_ids.RELU, geometry(case)[2], np.empty((2, 4 * kh * kw * max(c, f)), np.float32),
                      np.ones_like(z), dkernel_parts, dbias_parts, np.empty((kh * kw * f, c), np.float32),
                      np.empty_like(kernel), np.empty_like(bias), None)
