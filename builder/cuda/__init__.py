"""Training on a CUDA GPU (or Numba's CUDA simulator): imported only for compile(device="cuda").

A model compiled for CUDA runs through a `DeviceSession` (session.py): one executor per layer
(core.py, conv.py, pooling.py, recurrent.py, normalization.py, embedding.py, reshaping.py;
registry.py says which layer takes which: every layer type of the catalog has one)
computes forward and backward on device arrays with the kernels of `kernels/cuda/`; the
trainable weights live in one flat device array with a view per weight (arrays.py), which
the device optimizer (optimizers.py) updates in one kernel per batch. The loss and the
metrics run on the host over the model's output, with the CPU's code, so every loss,
custom metric and callback behaves as on the CPU; only the output and its gradient cross
over per batch.
"""

from .registry import check_supported
from .session import session_for

__all__ = ["check_supported", "session_for"]
