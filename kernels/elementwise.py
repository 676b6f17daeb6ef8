"""Element-wise kernels on flat float32 views: dropout masks and their gradients."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def dropout_forward(x, uniform, rate, y):
    """y = x / (1 - rate) where uniform >= rate, else 0 (Keras's inverted dropout)."""
    scale = np.float32(1.0 / (1.0 - rate))
    for i in range(x.shape[0]):
        y[i] = x[i] * scale if uniform[i] >= rate else np.float32(0.0)


@njit(cache=True, nogil=True)
def dropout_backward(dy, uniform, rate, dx):
    scale = np.float32(1.0 / (1.0 - rate))
    for i in range(dy.shape[0]):
        dx[i] = dy[i] * scale if uniform[i] >= rate else np.float32(0.0)
