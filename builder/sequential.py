"""`Sequential`: a linear stack of layers with Keras's API (add, pop, summary, compile, fit...).

The model is a container: shapes come from `builder.shapes`, the summary text from
`builder.summary`, the training loop from `builder.training`, files from `builder.saving`.
Views (the studio) subscribe with `subscribe(callback)` and are told of every edit.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .devices import resolve_device
from .errors import ConfigError, SeqStudioError, ShapeError
from .layers.base import Layer
from .parameters import FlatParameters
from .random import global_rng
from .shapes import LayerShape, infer_shapes, stack_input_shape


class Sequential:
    """A linear stack of layers.

    Args:
        layers: optional list of layers to add in order.
        name: the model's name (default "sequential").
    """

    def __init__(self, layers: list[Layer] | None = None, name: str | None = None):
        self.name = name or "sequential"
        self._layers: list[Layer] = []
        self._input_shape: tuple | None = None  # batch first; set by build() from data
        self._listeners: list[Callable[[], None]] = []
        self._flat: FlatParameters | None = None
        self.optimizer = None
        self.loss = None
        self.metric_identifiers: list = []
        self.compiled = False
        self._device = "cpu"
        self._cuda_session = None
        self.stop_training = False
        self.history = None
        for layer in layers or []:
            self.add(layer)

    # -- the stack -----------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after every change of the stack."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        self._record_shapes()
        for callback in list(self._listeners):
            callback()

    def add(self, layer: Layer) -> None:
        """Append `layer`; raises ShapeError (and adds nothing) when it cannot take its input."""
        if not isinstance(layer, Layer):
            raise ConfigError(f"Sequential.add expects a layer, got {type(layer).__name__}")
        if any(layer is existing for existing in self._layers):
            raise ConfigError(f"{layer.name} is already in the model")
        if self._layers and layer.input_shape_arg is not None and layer.input_shape_arg != self._layers[0].input_shape_arg:
            raise ConfigError(f"{layer.name}: only the first layer takes input_shape")
        self._name_layer(layer)
        rows = infer_shapes([*self._layers, layer], self._known_input_shape([*self._layers, layer]))
        if rows[-1].error:
            raise ShapeError(rows[-1].error)
        self._layers.append(layer)
        self._changed()

    def insert(self, index: int, layer: Layer) -> None:
        """Insert without checking shapes: the studio edits stacks that may stay invalid."""
        self._name_layer(layer)
        self._layers.insert(index, layer)
        self._changed()

    def remove_at(self, index: int) -> Layer:
        layer = self._layers.pop(index)
        self._changed()
        return layer

    def move(self, source: int, destination: int) -> None:
        """Move the layer at `source` so that it ends up at index `destination`."""
        layer = self._layers.pop(source)
        self._layers.insert(destination, layer)
        self._changed()

    def replace(self, index: int, layer: Layer) -> Layer:
        """Put `layer` in place of the one at `index` (an inspector edit); returns the old one.

        The new layer keeps the old one's name unless it was given its own.
        """
        old = self._layers[index]
        if layer._auto_name:
            layer.name, layer._auto_name = old.name, old._auto_name
        self._layers[index] = layer
        self._name_layer(layer)
        self._changed()
        return old

    def set_input_shape(self, shape: tuple | None) -> None:
        """Set the model's input shape (batch first, None for any batch size); it takes
        precedence over the first layer's input_shape argument. None clears it."""
        self._input_shape = None if shape is None else tuple(shape)
        self._changed()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise SeqStudioError("there is no layer to pop: the model is empty")
        return self.remove_at(len(self._layers) - 1)

    def _name_layer(self, layer: Layer) -> None:
        taken = {other.name for other in self._layers if other is not layer}
        if layer._auto_name:
            base = layer.name.rsplit("_", 1)[0] if layer.name.rsplit("_", 1)[-1].isdigit() else layer.name
            k = 1
            while f"{base}_{k}" in taken:
                k += 1
            layer.name = f"{base}_{k}"
        elif layer.name in taken:
            raise ConfigError(f"a layer named {layer.name!r} is already in the model")

    # -- shapes ----------------------------------------------------------------------------
    def _known_input_shape(self, layers=None) -> tuple | None:
        return self._input_shape or stack_input_shape(self._layers if layers is None else layers)

    def shape_rows(self) -> list[LayerShape]:
        """The summary rows: each layer's shapes and counts, or the error that stops it."""
        return infer_shapes(self._layers, self._known_input_shape())

    def _record_shapes(self) -> None:
        for layer, row in zip(self._layers, self.shape_rows()):
            layer._inferred_input_shape = row.input_shape if row.error is None else None
            layer._inferred_output_shape = row.output_shape

    @property
    def input_shape(self) -> tuple | None:
        return self._known_input_shape()

    @property
    def output_shape(self) -> tuple:
        return self._checked_rows()[-1].output_shape

    def _checked_rows(self) -> list[LayerShape]:
        if not self._layers:
            raise SeqStudioError(f"model {self.name!r} has no layers")
        rows = self.shape_rows()
        for row in rows:
            if row.error:
                raise ShapeError(row.error)
        if rows[-1].output_shape is None:
            raise SeqStudioError(
                f"model {self.name!r} has no input shape yet: give the first layer input_shape=..., "
                "or call build()/fit() with data"
            )
        return rows

    def count_params(self) -> int:
        return sum(row.params for row in self._checked_rows())

    def summary(self, print_fn: Callable[[str], None] | None = None, line_length: int = 80) -> None:
        """Print Keras's table of layers, output shapes and parameter counts."""
        from .summary import summary_text

        (print_fn or print)(summary_text(self.name, self.shape_rows(), line_length))

    # -- weights ---------------------------------------------------------------------------
    def build(self, input_shape: tuple | None = None) -> None:
        """Allocate every layer's weights; input_shape (batch first) is needed when no layer
        declares one."""
        if input_shape is not None and self._known_input_shape() is None:
            self._input_shape = tuple(input_shape)
            self._record_shapes()
        rows = self._checked_rows()
        rng = global_rng()
        for layer, row in zip(self._layers, rows):
            if not _still_fits(layer, row):
                layer.build(row.input_shape, rng)
            layer._inferred_input_shape, layer._inferred_output_shape = row.input_shape, row.output_shape

    @property
    def built(self) -> bool:
        return bool(self._layers) and all(layer.built for layer in self._layers)

    def flat_parameters(self) -> FlatParameters:
        """The flat buffers behind the trainable weights, rebuilt when the weights change."""
        if self._flat is None or self._flat.key != FlatParameters.key_of(self._layers):
            self._flat = FlatParameters(self._layers)
        return self._flat

    def get_weights(self) -> list[np.ndarray]:
        """Every weight, layer by layer in Keras's order and layouts."""
        self._require_built()
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        self._require_built()
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise ConfigError(f"set_weights: model {self.name!r} has {expected} weight arrays, got {len(weights)}")
        start = 0
        for layer in self._layers:
            layer.set_weights(weights[start : start + len(layer.weights)])
            start += len(layer.weights)

    def _require_built(self) -> None:
        if not self.built:
            self.build()

    def reset_states(self) -> None:
        for layer in self._layers:
            layer.reset_states()

    # -- training ----------------------------------------------------------------------------
    @property
    def device(self) -> str:
        """Where fit, evaluate and predict compute: "cpu" (until compiled otherwise) or "cuda"."""
        return self._device

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, device="auto") -> None:
        """Configure training: optimizer and loss by name or object, metrics by name, function
        or `custom_metric`; device "cpu", "cuda" (a GPU, or Numba's simulator) or "auto" (a
        real GPU when there is one, else the CPU)."""
        from . import losses as losses_module
        from . import metrics as metrics_module
        from . import optimizers as optimizers_module

        if loss is None:
            raise ConfigError("compile: loss is required, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
            metrics = [metrics]
        self.metric_identifiers = list(metrics)
        for identifier in self.metric_identifiers:
            metrics_module.check_identifier(identifier)
        chosen = resolve_device(device)
        if chosen == "cuda":
            from .cuda import check_supported

            try:
                check_supported(self._layers, self.optimizer)
            except ConfigError:
                if device != "auto":
                    raise
                chosen = "cpu"  # "auto" takes the GPU only for models it can run; model.device tells
        self._device = chosen
        self._cuda_session = None  # builder.cuda's device arrays, made afresh on the next call
        self.compiled = True

    def fit(self, x, y, batch_size=None, epochs=1, verbose=1, validation_data=None, validation_split=0.0,
            shuffle=True, callbacks=None, initial_epoch=0):
        """Train for `epochs` epochs; returns a History whose .history holds loss and metrics."""
        from .training import fit

        return fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                   validation_data=validation_data, validation_split=validation_split, shuffle=shuffle,
                   callbacks=callbacks, initial_epoch=initial_epoch)

    def evaluate(self, x, y, batch_size=None, verbose=1):
        """[loss, *metrics] on (x, y), or the loss alone when there are no metrics."""
        from .training import evaluate

        return evaluate(self, x, y, batch_size=batch_size, verbose=verbose)

    def predict(self, x, batch_size=None, verbose=0) -> np.ndarray:
        from .training import predict

        return predict(self, x, batch_size=batch_size, verbose=verbose)

    def train_on_batch(self, x, y):
        from .training import train_on_batch

        return train_on_batch(self, x, y)

    def test_on_batch(self, x, y):
        from .training import test_on_batch

        return test_on_batch(self, x, y)

    def predict_on_batch(self, x) -> np.ndarray:
        from .training import predict_on_batch

        return predict_on_batch(self, x)

    # -- persistence ---------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {
            "name": self.name,
            "input_shape": None if self._input_shape is None else list(self._input_shape),
            "layers": [{"class_name": layer.class_name, "config": layer.get_config()} for layer in self._layers],
        }

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        from .catalog import layer_from_config

        model = cls(name=config.get("name"))
        for i, entry in enumerate(config.get("layers", [])):
            if not isinstance(entry, dict) or "class_name" not in entry:
                raise ConfigError(f"layers[{i}]: expected {{'class_name': ..., 'config': ...}}")
            model.insert(len(model._layers), layer_from_config(entry["class_name"], entry.get("config", {})))
        if config.get("input_shape") is not None:
            model._input_shape = tuple(config["input_shape"])
            model._record_shapes()
        return model

    def save(self, path) -> None:
        """Write config, compile settings and weights to one file (`.seqstudio` suggested)."""
        from .saving import save_model

        save_model(self, path)

    def __repr__(self) -> str:
        return f"<Sequential {self.name!r}: {len(self._layers)} layers>"


def _still_fits(layer: Layer, row: LayerShape) -> bool:
    """Whether the layer's existing build still fits the input the stack now gives it."""
    if not layer.built or layer.built_input_shape[1:] != row.input_shape[1:]:
        return False
    specs = layer.weight_specs(row.input_shape)
    return [s.shape for s in specs] == [w.value.shape for w in layer.weights]
