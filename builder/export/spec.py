"""What an export writes, gathered once from a project or a model: the built layers with their
shapes, the compile and fit settings, and where the data lives.

Every target reads this one description, so the three scripts cannot disagree about the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..errors import ConfigError
from ..layers.base import Layer

BUNDLED_PREFIX = "bundled:"


@dataclass(frozen=True)
class LayerEntry:
    """One built layer with the shapes (batch first) that reach it and leave it."""

    layer: Layer
    input_shape: tuple
    output_shape: tuple

    @property
    def class_name(self) -> str:
        return self.layer.class_name


@dataclass(frozen=True)
class FitSpec:
    epochs: int
    batch_size: int
    shuffle: bool
    seed: int | None


@dataclass(frozen=True)
class DataSpec:
    """The data settings; `path` and the other paths are absolute, or "bundled:<name>"."""

    path: str | None
    labels_path: str | None
    target: str | int | None
    validation_split: float
    validation_path: str | None
    standardize: bool
    mean: tuple | None
    std: tuple | None

    @property
    def bundled(self) -> str | None:
        """The bundled dataset's name when the data is one of SeqStudio's own."""
        if self.path is not None and self.path.startswith(BUNDLED_PREFIX):
            return self.path[len(BUNDLED_PREFIX):]
        return None


@dataclass(frozen=True)
class ExportSpec:
    name: str
    source: str
    model: object  # the built builder.Sequential (weights included)
    layers: tuple[LayerEntry, ...]
    optimizer: object  # builder.optimizers.Optimizer
    loss: object  # builder.losses.Loss
    metrics: tuple[str, ...]
    dropped_metrics: tuple[str, ...]
    fit: FitSpec
    data: DataSpec
    total_params: int

    @property
    def input_shape(self) -> tuple:
        return self.layers[0].input_shape

    @property
    def output_shape(self) -> tuple:
        return self.layers[-1].output_shape

    @property
    def stateful(self) -> bool:
        return any(getattr(entry.layer, "stateful", False) for entry in self.layers)


def export_spec(model_or_project, weights: bool = False) -> ExportSpec:
    """The description of a Project (its settings, and its trained weights when `weights`) or
    of a compiled Sequential (default fit and data settings); ConfigError when it cannot be
    exported. Without weights nothing is allocated: the shapes come from the pure rules."""
    from ..project import CompileSettings, DataSettings, Project
    from ..sequential import Sequential

    if isinstance(model_or_project, Project):
        project = model_or_project
        settings = project.compile
        model = project.compiled_model() if weights else project.model
        optimizer = optimizers_module.deserialize(settings.optimizer)
        loss, metric_identifiers = losses_module.get(settings.loss), list(settings.metrics)
        source = project.path.name if project.path is not None else project.model.name
        data = _data_spec(project.data, project.resolve)
    elif isinstance(model_or_project, Sequential):
        model = model_or_project
        if not model.compiled:
            raise ConfigError(f"model {model.name!r} is not compiled: compile it (or export its project) "
                              "so that the script can train it")
        optimizer, loss, metric_identifiers = model.optimizer, model.loss, model.metric_identifiers
        source = model.name
        settings, data = CompileSettings(), _data_spec(DataSettings(path=None), lambda p: Path(p).absolute())
    else:
        raise ConfigError(f"export needs a Project or a Sequential, got {type(model_or_project).__name__}")
    if not model.layers:
        raise ConfigError(f"model {model.name!r} has no layers to export")
    if model.input_shape is None:
        raise ConfigError(f"model {model.name!r} has no input shape: give its first layer input_shape=... "
                          "before exporting")
    if weights:
        model.build()
    rows = model.shape_rows()
    for row in rows:
        if row.error:
            raise ConfigError(f"model {model.name!r} cannot be exported: {row.error}")
    entries = tuple(LayerEntry(layer, row.input_shape, row.output_shape) for layer, row in zip(model.layers, rows))
    metrics, dropped = _metric_names(metric_identifiers)
    return ExportSpec(
        name=model.name,
        source=source,
        model=model,
        layers=entries,
        optimizer=optimizers_module.get(optimizer),
        loss=losses_module.get(loss),
        metrics=metrics,
        dropped_metrics=dropped,
        fit=FitSpec(settings.epochs, settings.batch_size, settings.shuffle, settings.seed),
        data=data,
        total_params=sum(row.params for row in rows),
    )


def _data_spec(settings, resolve) -> DataSpec:
    def absolute(path):
        if path is None or path.startswith(BUNDLED_PREFIX):
            return path
        return str(resolve(path))

    return DataSpec(
        path=absolute(settings.path),
        labels_path=absolute(settings.labels_path),
        target=settings.target,
        validation_split=float(settings.validation_split),
        validation_path=absolute(settings.validation_path),
        standardize=bool(settings.standardize),
        mean=None if settings.mean is None else tuple(float(v) for v in settings.mean),
        std=None if settings.std is None else tuple(float(v) for v in settings.std),
    )


def _metric_names(identifiers) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names of the built-in metrics, which every target knows; names of custom ones, left out)."""
    kept, dropped = [], []
    for identifier in identifiers:
        if isinstance(identifier, str):
            kept.append(identifier)
            continue
        metric = metrics_module.get(identifier)
        builtin = type(metric) in metrics_module.METRIC_CLASSES.values()
        (kept if builtin else dropped).append(metric.name)
    return tuple(kept), tuple(dropped)
