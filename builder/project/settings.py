"""A project: the layer stack with its compile, training and data settings, and where it lives.

The studio edits `Project.model` (a Sequential that may stay invalid while the user works) and
trains on `compiled_model()`, a fresh copy, so a training run never mutates what a view shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..sequential import Sequential


BUNDLED = "bundled:"
"""Data paths starting with this name a bundled dataset ("bundled:digits"), found wherever
SeqStudio is installed."""


def is_file_path(path_str: str | None) -> bool:
    """Whether a data path names a file (relative or absolute), not a bundled dataset."""
    return path_str is not None and not path_str.startswith(BUNDLED)


@dataclass(frozen=True)
class LayerWeights:
    """One trained layer's weights and what they fit: all a project keeps of a run (the
    trained model itself also holds optimizer slots, gradients and batch buffers)."""

    class_name: str
    input_shape: tuple
    arrays: list[np.ndarray]


def trained_weights(model: Sequential) -> list[LayerWeights | None]:
    """The weights of each layer of a trained model, None for a layer that holds none."""
    return [LayerWeights(layer.class_name, layer.built_input_shape, layer.get_weights())
            if layer.built and layer.weights else None for layer in model.layers]


def _default_optimizer() -> dict:
    from .. import optimizers

    return optimizers.serialize(optimizers.get("rmsprop"))


@dataclass
class CompileSettings:
    """What `compile` and `fit` receive: optimizer (Keras's serialized form), loss, metrics
    by name, the device ("auto", "cpu" or "cuda") and the fit arguments a project keeps."""

    optimizer: dict = field(default_factory=_default_optimizer)
    loss: str = "categorical_crossentropy"
    metrics: list[str] = field(default_factory=lambda: ["accuracy"])
    epochs: int = 10
    batch_size: int = 32
    shuffle: bool = True
    seed: int | None = None
    device: str = "auto"

    def compile(self, model) -> None:
        from .. import optimizers

        model.compile(optimizer=optimizers.deserialize(self.optimizer), loss=self.loss, metrics=list(self.metrics),
                      device=self.device)

    def fit_arguments(self) -> dict:
        return {"epochs": self.epochs, "batch_size": self.batch_size, "shuffle": self.shuffle}


@dataclass
class DataSettings:
    """Where the training data lives and how it is read. Paths are relative to the project
    file (or absolute); `target` is a CSV column name or index (None: the last column);
    `mean`/`std` are the standardization statistics, kept once computed so that evaluation
    and prediction see the same scaling as training."""

    path: str | None = None
    labels_path: str | None = None
    target: str | int | None = None
    validation_split: float = 0.2
    validation_path: str | None = None
    standardize: bool = False
    mean: list | None = None
    std: list | None = None


@dataclass
class Project:
    """A model stack with its settings; `path` is the project file once saved or loaded."""

    model: Sequential
    compile: CompileSettings = field(default_factory=CompileSettings)
    data: DataSettings = field(default_factory=DataSettings)
    path: Path | None = None
    description: str = ""

    @property
    def base_dir(self) -> Path:
        """The folder data paths are relative to: the project's, or the working folder."""
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, path_str: str) -> Path:
        """A data path from the settings as a real path (relative to the project)."""
        if not is_file_path(path_str):
            from ..data import bundled_path

            return bundled_path(path_str[len(BUNDLED):])
        path = Path(path_str).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def load_data(self, progress=None, train=None):
        """(training Dataset, validation Dataset or None) as the data settings say; fitted
        standardization statistics are kept in the settings. `progress(fraction)` follows
        the reading of the training file; `train`, that file already read (it is copied,
        not changed), saves reading it again."""
        from .data import load_project_data

        return load_project_data(self, progress, train)

    def compiled_model(self) -> Sequential:
        """A fresh, compiled copy of the stack, built when its input shape is known, holding
        the weights of every layer whose shapes still fit. Absurd sizes are refused first."""
        from ..random import set_random_seed
        from ..sequential import Sequential
        from .limits import check_model_size

        check_model_size(self.model, f"model {self.model.name!r}")
        if self.compile.seed is not None:
            set_random_seed(self.compile.seed)
        model = Sequential.from_config(self.model.get_config())
        if model.input_shape is not None:
            model.build()
            for old, new in zip(self.model.layers, model.layers):
                if old.built and [w.shape for w in old.weights] == [w.shape for w in new.weights]:
                    new.set_weights(old.get_weights())
        self.compile.compile(model)
        return model

    def store_weights(self, trained: Sequential | list[LayerWeights | None]) -> int:
        """Copy a trained model's weights (or its `trained_weights` snapshot) into the stack's
        matching layers (same position, type and weight shapes); returns how many took them."""
        from ..random import global_rng

        if not isinstance(trained, list):
            trained = trained_weights(trained)
        taken = 0
        for layer, source in zip(self.model.layers, trained):
            if source is None or layer.class_name != source.class_name:
                continue
            if [s.shape for s in layer.weight_specs(source.input_shape)] != [a.shape for a in source.arrays]:
                continue
            if not layer.built or layer.built_input_shape != source.input_shape:
                layer.build(source.input_shape, global_rng())
            layer.set_weights(source.arrays)
            taken += 1
        return taken
