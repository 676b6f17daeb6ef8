"""Convolution kernels against straightforward float64 numpy references on tiny shapes."""

import numpy as np
import pytest
from scipy.special import erf

from kernels import activations as act_ids
from kernels.conv import (
    ROW_BLOCK,
    activation_backward_rows,
    bias_activation_rows,
    col2im,
    conv_backward,
    conv_forward,
    im2col,
    output_determined,
    row_blocks,
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


@pytest.mark.parametrize("case", CASES)
def test_im2col_and_its_adjoint(case):
    x, kernel, _ = random_case(case)
    out_h, out_w, window = geometry(case)
    n, c = x.shape[0], x.shape[3]
    cols = np.empty((n * out_h * out_w, window[0] * window[1] * c), np.float32)
    im2col(x, window, out_h, out_w, cols)
    np.testing.assert_array_equal(cols, patches(x, case).reshape(cols.shape).astype(np.float32))
    dcols = RNG.standard_normal(cols.shape).astype(np.float32)
    dx = np.empty_like(x)
    col2im(dcols, window, out_h, out_w, dx)
    # col2im is the transpose of im2col: <im2col(x), D> == <x, col2im(D)>
    np.testing.assert_allclose(np.vdot(cols.astype(np.float64), dcols), np.vdot(x.astype(np.float64), dx), rtol=1e-5)


def run_forward(x, kernel, bias, act, case, chunk):
    n, c, f = x.shape[0], x.shape[3], kernel.shape[3]
    out_h, out_w, window = geometry(case)
    z = np.empty((n, out_h, out_w, f), np.float32)
    y = z if output_determined(act) else np.empty_like(z)
    cols = np.empty((chunk * out_h * out_w, kernel[..., 0].size), np.float32)
    conv_forward(x, kernel.reshape(-1, f), bias, act, window, cols, z, y)
    return z, y, cols


def gelu(z):
    return 0.5 * z * (1 + erf(z / np.sqrt(2)))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("chunk", [1, 2, 3])
@pytest.mark.parametrize("act, function", [(act_ids.TANH, np.tanh), (act_ids.GELU, gelu)])
def test_conv_forward_matches_reference_for_any_chunking(case, chunk, act, function):
    x, kernel, bias = random_case(case)
    chunk = min(chunk, x.shape[0])
    z, y, _ = run_forward(x, kernel, bias, act, case, chunk)
    expected = reference_forward(x, kernel, bias, case)
    np.testing.assert_allclose(y, function(expected), rtol=1e-5, atol=1e-5)
    if not output_determined(act):
        np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-4)


def test_conv_forward_softmax_and_no_bias():
    case = CASES[1]
    x, kernel, _ = random_case(case)
    _, y, _ = run_forward(x, kernel, EMPTY, act_ids.SOFTMAX, case, 2)
    z = reference_forward(x, kernel, 0.0, case)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("chunk", [1, 3])
@pytest.mark.parametrize("act", [act_ids.LINEAR, act_ids.RELU, act_ids.SIGMOID, act_ids.GELU])
def test_conv_backward_matches_reference(case, chunk, act):
    x, kernel, bias = random_case(case)
    n, f = x.shape[0], kernel.shape[3]
    chunk = min(chunk, n)
    z, y, cols = run_forward(x, kernel, bias, act, case, chunk)
    dy = RNG.standard_normal(z.shape).astype(np.float32)
    dz = np.empty_like(z)
    rows = z.size // f
    parts = np.empty((row_blocks(rows), f), np.float32)
    dkernel = np.empty_like(kernel)
    dbias = np.empty_like(bias)
    dx = np.empty_like(x)
    _, _, window = geometry(case)
    conv_backward(x, kernel.reshape(-1, f), z, y, act, window, cols, dy, dz, parts,
                  np.empty((kernel[..., 0].size, f), np.float32), dkernel.reshape(-1, f), dbias, dx)

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
    f = kernel.shape[3]
    z, y, cols = run_forward(x, kernel, EMPTY, act_ids.LINEAR, case, 1)
    dy = RNG.standard_normal(z.shape).astype(np.float32)
    dkernel = np.empty_like(kernel)
    conv_backward(x, kernel.reshape(-1, f), z, y, act_ids.LINEAR, geometry(case)[2], cols, dy, np.empty_like(z),
                  np.empty((row_blocks(z.size // f), 0), np.float32), np.empty((kernel[..., 0].size, f), np.float32),
                  dkernel.reshape(-1, f), EMPTY, None)
    np.testing.assert_allclose(dkernel, np.einsum("nijabc,nijf->abcf", patches(x, case), dy), rtol=1e-4, atol=1e-4)


def test_in_place_activations_are_those_known_from_their_output():
    assert output_determined(act_ids.RELU) and output_determined(act_ids.SOFTMAX)
    assert not output_determined(act_ids.GELU) and not output_determined(act_ids.HARD_SIGMOID)


def test_row_kernels_span_several_blocks():
    rows, cols = 2 * ROW_BLOCK + 5, 3
    z = RNG.standard_normal((rows, cols)).astype(np.float32)
    bias = RNG.standard_normal(cols).astype(np.float32)
    z_in = z.copy()
    y = np.empty_like(z)
    bias_activation_rows(z, bias, act_ids.RELU, y)
    np.testing.assert_allclose(z, z_in + bias, rtol=1e-6)
    np.testing.assert_allclose(y, np.maximum(z_in + bias, 0), rtol=1e-6)
    dy = RNG.standard_normal((rows, cols)).astype(np.float32)
    dz = np.empty_like(dy)
    parts = np.empty((row_blocks(rows), cols), np.float32)
    activation_backward_rows(dy, z, y, act_ids.RELU, dz, parts)
    np.testing.assert_allclose(dz, dy * (z > 0), rtol=1e-6)
    np.testing.assert_allclose(parts.sum(axis=0), dz.sum(axis=0, dtype=np.float64), rtol=1e-4, atol=1e-4)
