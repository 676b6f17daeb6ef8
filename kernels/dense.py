"""Dense (fully connected) layer: BLAS matrix products plus fused bias/activation kernels."""

import numpy as np

from .activations import activation_backward, bias_activation_forward

EMPTY = np.empty(0, dtype=np.float32)


def dense_forward(x, kernel, bias, act, z, y):
    """z = x @ kernel + bias; y = act(z). x is (n, in); z and y are (n, out) buffers."""
    np.dot(x, kernel, out=z)
    bias_activation_forward(z, bias, act, y)


def dense_backward(x, kernel, z, y, act, dy, dz, dkernel, dbias, dx):
    """Write dkernel (in, out), dbias (out,) (when not empty) and dx (n, in) (when not None)."""
    activation_backward(dy, z, y, act, dz, dbias)
    np.dot(x.T, dz, out=dkernel)
    if dx is not None:
        np.dot(dz, kernel.T, out=dx)
