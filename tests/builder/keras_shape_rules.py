"""Keras 3's output-shape and parameter-count rules, one per layer type, written from Keras's
documentation: the oracle the property tests (test_properties.py) compare shape inference with."""

from __future__ import annotations

import math


class Invalid(Exception):
    """Keras would refuse this input shape for this layer."""


def _require(condition: bool) -> None:
    if not condition:
        raise Invalid


def _window_out(size: int, window: int, stride: int, dilation: int, padding: str) -> int:
    """Keras 3's compute_conv_output_shape / compute_pooling_output_shape along one axis."""
    if padding in ("same", "causal"):
        return (size - 1) // stride + 1
    out = (size - ((window - 1) * dilation + 1)) // stride + 1
    _require(out > 0)
    return out


def _conv(layer, shape, rank):
    _require(len(shape) == rank + 2)
    spatial = [_window_out(n, k, s, d, layer.padding)
               for n, k, s, d in zip(shape[1:-1], layer.kernel_size, layer.strides, layer.dilation_rate)]
    kernel = math.prod(layer.kernel_size) * shape[-1] * layer.filters
    return (shape[0], *spatial, layer.filters), kernel + layer.filters * layer.use_bias, 0


def _pool(layer, shape, rank):
    _require(len(shape) == rank + 2)
    strides = layer.strides or layer.pool_size
    spatial = [_window_out(n, k, s, 1, layer.padding) for n, k, s in zip(shape[1:-1], layer.pool_size, strides)]
    return (shape[0], *spatial, shape[-1]), 0, 0


def _global_pool(layer, shape, rank):
    _require(len(shape) == rank + 2)
    return (shape[0], *((1,) * rank if layer.keepdims else ()), shape[-1]), 0, 0


def _recurrent(layer, shape, gates):
    _require(len(shape) == 3)
    units = layer.units
    bias = gates * units * (2 if getattr(layer, "reset_after", False) else 1) if layer.use_bias else 0
    out = (shape[0], shape[1], units) if layer.return_sequences else (shape[0], units)
    return out, gates * units * (shape[2] + units) + bias, 0


def _axis(layer, shape) -> int:
    axis = layer.axis + len(shape) if layer.axis < 0 else layer.axis
    _require(1 <= axis < len(shape))  # SeqStudio never normalises over the batch axis
    return shape[axis]


def _batch_norm(layer, shape):
    channels = _axis(layer, shape)
    return shape, channels * (layer.scale + layer.center), 2 * channels


def _layer_norm(layer, shape):
    return shape, _axis(layer, shape) * (layer.scale + layer.center), 0


def _same_rank(rank):
    def rule(layer, shape):
        _require(len(shape) == rank)
        return shape, 0, 0
    return rule


def _reshape(layer, shape):
    size, target = math.prod(shape[1:]), layer.target_shape
    known = math.prod(d for d in target if d != -1)
    if -1 in target:
        _require(size % known == 0)
        target = tuple(size // known if d == -1 else d for d in target)
    _require(math.prod(target) == size)
    return (shape[0], *target), 0, 0


def _permute(layer, shape):
    _require(len(shape) == len(layer.dims) + 1)
    return (shape[0], *(shape[d] for d in layer.dims)), 0, 0


def _repeat_vector(layer, shape):
    _require(len(shape) == 2)
    return (shape[0], layer.n, shape[1]), 0, 0


def _up_sampling(layer, shape, rank):
    _require(len(shape) == rank + 2)
    sizes = (layer.size,) if rank == 1 else layer.size
    return (shape[0], *(n * s for n, s in zip(shape[1:-1], sizes)), shape[-1]), 0, 0


def _zero_padding(layer, shape, rank):
    _require(len(shape) == rank + 2)
    pads = (layer.padding,) if rank == 1 else layer.padding
    return (shape[0], *(n + sum(p) for n, p in zip(shape[1:-1], pads)), shape[-1]), 0, 0


def _dense(layer, shape):
    _require(len(shape) >= 2)
    return (*shape[:-1], layer.units), shape[-1] * layer.units + layer.units * layer.use_bias, 0


RULES = {
    "Activation": lambda layer, shape: (shape, 0, 0),
    "Dense": _dense,
    "Dropout": lambda layer, shape: (shape, 0, 0),
    "SpatialDropout1D": _same_rank(3),
    "SpatialDropout2D": _same_rank(4),
    "Conv1D": lambda layer, shape: _conv(layer, shape, 1),
    "Conv2D": lambda layer, shape: _conv(layer, shape, 2),
    "AveragePooling1D": lambda layer, shape: _pool(layer, shape, 1),
    "AveragePooling2D": lambda layer, shape: _pool(layer, shape, 2),
    "MaxPooling1D": lambda layer, shape: _pool(layer, shape, 1),
    "MaxPooling2D": lambda layer, shape: _pool(layer, shape, 2),
    "GlobalAveragePooling1D": lambda layer, shape: _global_pool(layer, shape, 1),
    "GlobalAveragePooling2D": lambda layer, shape: _global_pool(layer, shape, 2),
    "GlobalMaxPooling1D": lambda layer, shape: _global_pool(layer, shape, 1),
    "GlobalMaxPooling2D": lambda layer, shape: _global_pool(layer, shape, 2),
    "SimpleRNN": lambda layer, shape: _recurrent(layer, shape, 1),
    "LSTM": lambda layer, shape: _recurrent(layer, shape, 4),
    "GRU": lambda layer, shape: _recurrent(layer, shape, 3),
    "Embedding": lambda layer, shape: ((*shape, layer.output_dim), layer.input_dim * layer.output_dim, 0),
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Flatten": lambda layer, shape: ((shape[0], math.prod(shape[1:])), 0, 0),
    "Permute": _permute,
    "RepeatVector": _repeat_vector,
    "Reshape": _reshape,
    "UpSampling1D": lambda layer, shape: _up_sampling(layer, shape, 1),
    "UpSampling2D": lambda layer, shape: _up_sampling(layer, shape, 2),
    "ZeroPadding1D": lambda layer, shape: _zero_padding(layer, shape, 1),
    "ZeroPadding2D": lambda layer, shape: _zero_padding(layer, shape, 2),
}


def keras_rule(layer, shape):
    """(output shape, trainable, non-trainable) by Keras's rules, or raise Invalid."""
    out, trainable, frozen = RULES[layer.class_name](layer, tuple(shape))
    return (tuple(out), trainable, frozen) if layer.trainable else (tuple(out), 0, trainable + frozen)

