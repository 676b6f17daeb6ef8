"""Dense (fully connected) layer: blocked matrix products (kernels.blocked) plus fused
bias/activation kernels."""

from .activations import activation_backward, bias_activation_forward
from .blocked import EMPTY, blocked_dot, summed_products


def dense_forward(x, kernel, bias, act, z, y):
    """z = x @ kernel + bias; y = act(z). x is (n, in); z and y are (n, out) buffers."""
    blocked_dot(x, kernel, z)
    bias_activation_forward(z, bias, act, y)


def dense_backward(x, kernel, z, y, act, dy, dz, dkernel, dbias, dx):
    """Write dkernel (in, out), dbias (out,) (when not empty) and dx (n, in) (when not None)."""
    activation_backward(dy, z, y, act, dz, dbias)
    summed_products(x, dz, dkernel)
    if dx is not None:
        blocked_dot(dz, kernel.T, dx)
