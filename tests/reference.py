"""Access to the optional reference implementations (Keras 3 on the torch backend, PyTorch).

Tests that cross-check numerics call `keras_or_skip()`; they run where the `reference` extra
is installed and are skipped elsewhere.
"""

import os

import pytest


def keras_or_skip():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def torch_or_skip():
    return pytest.importorskip("torch")
