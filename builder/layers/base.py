"""The Layer base class: validated hyper-parameters, pure shape rules, weights, compute.

A layer's phases stay apart, as in Keras: `__init__` validates and stores the
hyper-parameters declared in `PARAMS` (nothing else); `compute_output_shape` and
`weight_specs` are pure rules over an input shape (batch dimension first, None or an int) that
allocate nothing, so the studio's live summary can run them on any stack; `build` allocates
the weights in Keras's layout; `forward(x, training)` caches what `backward(dy)` needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, SeqStudioError, ShapeError
from ..initializers import initialize
from ..params import Param


@dataclass(frozen=True)
class WeightSpec:
    """A weight a layer will create: its name, shape, initializer and trainability."""

    name: str
    shape: tuple
    initializer: str
    trainable: bool = True

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Weight:
    """A weight's value and its gradient; the model may re-home both into flat buffers.

    `trainable` is the weight's own nature (moving statistics are not); the optimizer updates
    it only while its layer is trainable too.
    """

    __slots__ = ("name", "value", "grad", "trainable")

    def __init__(self, name: str, value: np.ndarray, trainable: bool):
        self.name = name
        self.value = value
        self.grad = np.zeros_like(value)
        self.trainable = trainable

    @property
    def shape(self) -> tuple:
        return self.value.shape

    def __repr__(self) -> str:
        return f"<Weight {self.name} shape={self.value.shape}>"


def snake_case(class_name: str) -> str:
    """Keras's layer base names: Dense -> dense, MaxPooling2D -> max_pooling2d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def format_shape(shape: tuple | None) -> str:
    """A shape as Keras prints it: (None, 256)."""
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


_COMMON_KWARGS = ("name", "input_shape", "batch_input_shape", "batch_size", "input_dim", "trainable", "dtype")


class Layer:
    """Base of every layer. Subclasses declare PARAMS and override the rules and compute."""

    PARAMS: ClassVar[tuple[Param, ...]] = ()
    #: set by `builder.catalog.register`
    family: ClassVar[str] = ""
    help: ClassVar[str] = ""

    def __init__(self, *args: Any, **kwargs: Any):
        cls = type(self).__name__
        common = {k: kwargs.pop(k) for k in _COMMON_KWARGS if k in kwargs}
        if len(args) > len(self.PARAMS):
            raise ConfigError(f"{cls}: takes at most {len(self.PARAMS)} positional arguments, got {len(args)}")
        values = dict(zip((p.name for p in self.PARAMS), args))
        for key, value in kwargs.items():
            if key in values:
                raise ConfigError(f"{cls}: got two values for argument {key!r}")
            values[key] = value
        known = {p.name for p in self.PARAMS}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"{cls}: unknown argument {unknown[0]!r}; it takes "
                f"{', '.join(sorted(known | set(_COMMON_KWARGS) - {'dtype'}))}"
            )
        for param in self.PARAMS:
            if param.name in values:
                value = param.check(cls, values[param.name])
            elif param.required:
                raise ConfigError(f"{cls}: missing required argument {param.name!r}")
            else:
                value = param.default
            setattr(self, param.name, value)
        self._set_common(cls, **common)
        self.validate()
        self.weights: list[Weight] = []
        self.built = False
        self.built_input_shape: tuple | None = None
        self._buffers: dict[str, np.ndarray] = {}  # the view each key last handed out
        self._buffer_storage: dict[str, np.ndarray] = {}  # the flat array behind it
        self._inferred_input_shape: tuple | None = None
        self._inferred_output_shape: tuple | None = None

    def _set_common(self, cls, name=None, input_shape=None, batch_input_shape=None, batch_size=None,
                    input_dim=None, trainable=True, dtype=None):
        if dtype is not None and not (isinstance(dtype, str) and dtype == "float32"):
            raise ConfigError(f"{cls}: dtype={dtype!r} is not supported; SeqStudio computes in float32")
        if name is not None and (not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", name)):
            raise ConfigError(f"{cls}: invalid name={name!r}: use letters, digits, '_', '-' or '.'")
        self._auto_name = name is None
        self.name = snake_case(cls) if name is None else name
        self.trainable = Param("trainable", "bool").check(cls, trainable)
        if input_dim is not None:
            if input_shape is not None:
                raise ConfigError(f"{cls}: give input_shape or input_dim, not both")
            input_shape = (Param("input_dim", "int", low=1).check(cls, input_dim),)
        shape_param = Param("input_shape", "shape")
        if batch_input_shape is not None:
            if input_shape is not None:
                raise ConfigError(f"{cls}: give input_shape or batch_input_shape, not both")
            if not isinstance(batch_input_shape, (list, tuple)) or len(batch_input_shape) < 2:
                raise ConfigError(f"{cls}: invalid batch_input_shape={batch_input_shape!r}: expected (batch, ...)")
            batch_input_shape = tuple(batch_input_shape)
            batch_size = batch_input_shape[0] if batch_size is None else batch_size
            input_shape = batch_input_shape[1:]
        if input_shape is not None:
            dims = input_shape if isinstance(input_shape, (tuple, list)) else (input_shape,)
            if any(d is None for d in dims):
                raise ConfigError(
                    f"{cls}: input_shape={tuple(dims)!r} has a None dimension; SeqStudio needs every "
                    "dimension after the batch to be known"
                )
            input_shape = shape_param.check(cls, dims)
            if -1 in input_shape:
                raise ConfigError(f"{cls}: invalid input_shape={input_shape!r}: dimensions must be positive")
        if batch_size is not None:
            batch_size = Param("batch_size", "int", low=1).check(cls, batch_size)
        self.input_shape_arg: tuple | None = input_shape
        self.batch_size_arg: int | None = batch_size

    # -- hooks for subclasses ------------------------------------------------------------
    def validate(self) -> None:
        """Cross-argument checks after every argument passed its own (raise ConfigError)."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The output shape (batch first) for `input_shape`; raise via `shape_error`."""
        return input_shape

    def weight_specs(self, input_shape: tuple) -> list[WeightSpec]:
        """The weights this layer would create for `input_shape`, in Keras's order."""
        return []

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Write the weights' gradients and return dL/dx (None when need_dx is False)."""
        raise NotImplementedError

    def reset_states(self) -> None:
        """Clear carried state (stateful recurrent layers); nothing for most layers."""

    # -- shared machinery ------------------------------------------------------------------
    @property
    def class_name(self) -> str:
        return type(self).__name__

    def shape_error(self, input_shape: tuple, needs: str) -> ShapeError:
        return ShapeError(f"{self.name} ({self.class_name}) got input shape {format_shape(input_shape)} but {needs}")

    def count_params_for(self, input_shape: tuple) -> tuple[int, int]:
        """(trainable, non-trainable) parameter counts for `input_shape`, allocating nothing."""
        trainable = non_trainable = 0
        for spec in self.weight_specs(input_shape):
            if spec.trainable and self.trainable:
                trainable += spec.size
            else:
                non_trainable += spec.size
        return trainable, non_trainable

    def count_params(self) -> int:
        if self.built:
            return sum(w.value.size for w in self.weights)
        if self._inferred_input_shape is None:
            raise SeqStudioError(f"{self.name} is not built yet: its input shape is unknown")
        return sum(self.count_params_for(self._inferred_input_shape))

    @property
    def input_shape(self) -> tuple:
        if self._inferred_input_shape is None:
            raise SeqStudioError(f"{self.name} has no input shape yet: add it to a model with a known input")
        return self._inferred_input_shape

    @property
    def output_shape(self) -> tuple:
        if self._inferred_output_shape is None:
            raise SeqStudioError(f"{self.name} has no output shape yet: add it to a model with a known input")
        return self._inferred_output_shape

    def build(self, input_shape: tuple, rng: np.random.Generator) -> None:
        """Allocate the weights for `input_shape` (checked first by the shape rules)."""
        self.compute_output_shape(input_shape)
        self.weights = [
            Weight(spec.name, initialize(spec.initializer, spec.shape, rng), spec.trainable)
            for spec in self.weight_specs(input_shape)
        ]
        self._inferred_input_shape = self.built_input_shape = tuple(input_shape)
        self._buffers.clear()
        self._buffer_storage.clear()
        self.built = True

    def weight(self, name: str) -> Weight:
        for w in self.weights:
            if w.name == name:
                return w
        raise KeyError(name)

    def get_weights(self) -> list[np.ndarray]:
        return [w.value.copy() for w in self.weights]

    def set_weights(self, arrays) -> None:
        arrays = list(arrays)
        if len(arrays) != len(self.weights):
            raise ConfigError(f"{self.name}: expected {len(self.weights)} weight arrays, got {len(arrays)}")
        for w, a in zip(self.weights, arrays):
            a = np.asarray(a)
            if a.shape != w.value.shape:
                raise ConfigError(f"{self.name}: weight {w.name} has shape {w.value.shape}, got {a.shape}")
            w.value[...] = a

    def buffer(self, key: str, shape: tuple) -> np.ndarray:
        """A float32 work array reused across batches: a smaller one (an epoch's last batch)
        gets a view of the larger array, which the next full batch then finds again. A
        fresh array each time the shape changed cost a VGG-like epoch some 10%: tens of MB
        page-faulted anew, twice an epoch, in every layer."""
        size = math.prod(shape)
        storage = self._buffer_storage.get(key)
        if storage is None or storage.size < size:
            storage = self._buffer_storage[key] = np.empty(size, dtype=np.float32)
        view = self._buffers[key] = storage[:size].reshape(shape)
        return view

    def get_config(self) -> dict:
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if self.input_shape_arg is not None:
            config["batch_input_shape"] = [self.batch_size_arg, *self.input_shape_arg]
        elif self.batch_size_arg is not None:
            config["batch_size"] = self.batch_size_arg
        for p in self.PARAMS:
            value = getattr(self, p.name)
            config[p.name] = list(value) if isinstance(value, tuple) else value
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        settings = ", ".join(f"{p.name}={getattr(self, p.name)!r}" for p in self.PARAMS if p.required)
        return f"<{self.class_name} {self.name}{': ' + settings if settings else ''}>"
