"""Project files as dicts: `project_to_dict` writes one, `project_from_dict` reads one back,
refusing whatever is wrong with a ConfigError that names the field ("project.json:
layers[2].config.units: ...") before any weight is allocated.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import asdict, fields
from pathlib import Path

from ..devices import DEVICE_CHOICES
from ..errors import ConfigError
from .settings import CompileSettings, DataSettings, Project, is_file_path

FORMAT = 1
"""The project-file format this version writes, and the newest it reads."""

_TOP_FIELDS = ("format", "name", "description", "input_shape", "layers", "compile", "data")
_COMPILE_FIELDS = tuple(f.name for f in fields(CompileSettings))
_DATA_FIELDS = tuple(f.name for f in fields(DataSettings))
_PATH_FIELDS = ("path", "labels_path", "validation_path")


def project_to_dict(project: Project) -> dict:
    """The JSON-ready description of a project (weights live in their own file)."""
    model = project.model
    input_shape = model.input_shape
    return {
        "format": FORMAT,
        "name": model.name,
        "description": project.description,
        "input_shape": None if input_shape is None else list(input_shape),
        "layers": [{"class_name": layer.class_name, "config": layer.get_config()} for layer in model.layers],
        "compile": asdict(project.compile),
        "data": asdict(project.data),
    }


def project_from_dict(d: dict, base_dir=None, source: str = "project") -> Project:
    """The project `d` describes. Relative data paths in `d` are relative to `base_dir`; given
    one, they come back absolute (the project has no file yet), otherwise untouched. Errors
    are ConfigErrors starting with `source` and the field at fault."""
    fields_ = _Fields(source)
    project = fields_.project(d)
    if base_dir is not None:
        for name in _PATH_FIELDS:
            value = getattr(project.data, name)
            if is_file_path(value) and not Path(value).expanduser().is_absolute():
                setattr(project.data, name, os.path.normpath(Path(base_dir) / value))
    return project


def model_from_dict(d, source: str = "model"):
    """The Sequential a model config ({"name", "input_shape", "layers"}, as
    `Sequential.get_config` writes it) describes, checked field by field like a project's."""
    fields_ = _Fields(source)
    return fields_.model(fields_.section(d, "", ("name", "input_shape", "layers"), required=("layers",)))


def rebase_data_paths(data: DataSettings, old_dir: Path, new_dir: Path) -> None:
    """Keep relative data paths pointing at the same files when the project moves folders."""
    if Path(old_dir).absolute() == Path(new_dir).absolute():
        return
    for name in _PATH_FIELDS:
        value = getattr(data, name)
        if not is_file_path(value) or Path(value).expanduser().is_absolute():
            continue
        target = os.path.normpath(Path(old_dir).absolute() / value)
        try:
            setattr(data, name, os.path.relpath(target, Path(new_dir).absolute()))
        except ValueError:  # another drive: only an absolute path can reach it
            setattr(data, name, target)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (numbers.Number, str)):
        return repr(value)
    return {list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Fields:
    """Reads one project dict, raising ConfigError("<source>: <field>: <what>")."""

    def __init__(self, source: str):
        self.source = source

    def error(self, field: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {field}: {message}")

    # -- generic checks ------------------------------------------------------------------------
    def section(self, value, field: str, known: tuple, required: tuple = ()) -> dict:
        if not isinstance(value, dict):
            raise self.error(field or "(top level)", f"expected an object, got {_kind(value)}")
        prefix = f"{field}." if field else ""
        for key in value:
            if key not in known:
                raise self.error(f"{prefix}{key}", f"unknown field; expected one of {', '.join(known)}")
        for key in required:
            if key not in value:
                raise self.error(f"{prefix}{key}", "missing field")
        return value

    def integer(self, value, field: str, low: int, optional: bool = False):
        if value is None and optional:
            return None
        if not _is_int(value) or value < low:
            wanted = "a positive integer" if low == 1 else f"an integer >= {low}"
            raise self.error(field, f"expected {wanted}{' or null' if optional else ''}, got {_kind(value)}")
        return value

    def boolean(self, value, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(field, f"expected true or false, got {_kind(value)}")
        return value

    def text(self, value, field: str, optional: bool = False):
        if value is None and optional:
            return None
        if not isinstance(value, str) or (optional and not value):
            wanted = "a non-empty string or null" if optional else "a string"
            raise self.error(field, f"expected {wanted}, got {_kind(value)}")
        return value

    def number_list(self, value, field: str):
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            raise self.error(field, f"expected a non-empty list of numbers or null, got {_kind(value)}")
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(item):
                raise self.error(f"{field}[{i}]", f"expected a finite number, got {_kind(item)}")
        return [float(item) for item in value]

    # -- sections ------------------------------------------------------------------------------
    def project(self, d) -> Project:
        d = self.section(d, "", _TOP_FIELDS, required=("format", "layers", "compile"))
        version = d["format"]
        if not _is_int(version) or version < 1:
            raise self.error("format", f"expected a format version (1), got {_kind(version)}")
        if version > FORMAT:
            raise ConfigError(
                f"{self.source}: written by a newer SeqStudio (project format {version}); this version "
                f"reads format {FORMAT} and older: update SeqStudio to open it"
            )
        model = self.model(d)
        return Project(
            model=model,
            compile=self.compile_settings(d["compile"]),
            data=self.data_settings(d.get("data", {})),
            description=self.text(d.get("description", ""), "description"),
        )

    def model(self, d):
        from ..sequential import Sequential
        from ..shapes import stack_input_shape
        from .limits import check_model_size

        name = self.text(d.get("name", "sequential"), "name")
        if not name.strip() or len(name) > 100:
            raise self.error("name", f"expected a name of 1 to 100 characters, got {name!r}")
        layers = d["layers"]
        if not isinstance(layers, list):
            raise self.error("layers", f"expected a list of layers, got {_kind(layers)}")
        model = Sequential(name=name)
        for i, entry in enumerate(layers):
            layer = self.layer(entry, f"layers[{i}]")
            try:
                model.insert(i, layer)
            except ConfigError as err:
                raise self.error(f"layers[{i}].config.name", str(err)) from None
        input_shape = self.input_shape(d.get("input_shape"))
        if input_shape is not None and input_shape != stack_input_shape(model.layers):
            model.set_input_shape(input_shape)
        check_model_size(model, self.source)
        return model

    def layer(self, entry, field: str):
        from ..catalog import layer_class, layer_types

        entry = self.section(entry, field, ("class_name", "config"), required=("class_name",))
        class_name = self.text(entry["class_name"], f"{field}.class_name")
        try:
            cls = layer_class(class_name)
        except ConfigError:
            known = ", ".join(t.name for t in layer_types())
            raise self.error(f"{field}.class_name",
                             f"unknown layer type {class_name!r}; known types: {known}") from None
        config = entry.get("config", {})
        if not isinstance(config, dict):
            raise self.error(f"{field}.config", f"expected an object, got {_kind(config)}")
        for param in cls.PARAMS:
            if param.name in config:
                try:
                    param.check(class_name, config[param.name])
                except ConfigError as err:
                    raise self.error(f"{field}.config.{param.name}", str(err)) from None
        try:
            return cls.from_config(dict(config))
        except ConfigError as err:
            raise self.error(f"{field}.config", str(err)) from None

    def input_shape(self, value):
        if value is None:
            return None
        if not isinstance(value, list) or len(value) < 2:
            raise self.error("input_shape",
                             f"expected [batch or null, dim, ...] with at least one dimension, got {_kind(value)}")
        batch = self.integer(value[0], "input_shape[0]", 1, optional=True)
        dims = [self.integer(dim, f"input_shape[{i}]", 1) for i, dim in enumerate(value[1:], start=1)]
        return (batch, *dims)

    def compile_settings(self, value) -> CompileSettings:
        from .. import losses, metrics, optimizers

        d = self.section(value, "compile", _COMPILE_FIELDS, required=("loss",))
        settings = CompileSettings()
        if "optimizer" in d:
            optimizer = d["optimizer"]
            if not isinstance(optimizer, (dict, str)):
                raise self.error("compile.optimizer",
                                 f"expected a name or {{'class_name': ..., 'config': ...}}, got {_kind(optimizer)}")
            try:
                settings.optimizer = optimizers.serialize(optimizers.get(optimizer))
            except ConfigError as err:
                raise self.error("compile.optimizer", str(err)) from None
        settings.loss = self.text(d["loss"], "compile.loss")
        try:
            losses.get(settings.loss)
        except ConfigError as err:
            raise self.error("compile.loss", str(err)) from None
        names = d.get("metrics", [])
        if not isinstance(names, list):
            raise self.error("compile.metrics", f"expected a list of metric names, got {_kind(names)}")
        for i, name in enumerate(names):
            self.text(name, f"compile.metrics[{i}]")
            try:
                metrics.check_identifier(name)
            except ConfigError as err:
                raise self.error(f"compile.metrics[{i}]", str(err)) from None
        settings.metrics = list(names)
        settings.epochs = self.integer(d.get("epochs", settings.epochs), "compile.epochs", 1)
        settings.batch_size = self.integer(d.get("batch_size", settings.batch_size), "compile.batch_size", 1)
        settings.shuffle = self.boolean(d.get("shuffle", settings.shuffle), "compile.shuffle")
        settings.seed = self.integer(d.get("seed"), "compile.seed", 0, optional=True)
        settings.device = self.text(d.get("device", settings.device), "compile.device")
        if settings.device not in DEVICE_CHOICES:
            raise self.error("compile.device",
                             f"expected one of {', '.join(map(repr, DEVICE_CHOICES))}, got {settings.device!r}")
        return settings

    def data_settings(self, value) -> DataSettings:
        d = self.section(value, "data", _DATA_FIELDS)
        settings = DataSettings()
        for name in _PATH_FIELDS:
            setattr(settings, name, self.text(d.get(name), f"data.{name}", optional=True))
        target = d.get("target")
        if target is not None and not _is_int(target) and not (isinstance(target, str) and target):
            raise self.error("data.target", f"expected a column name, a column index or null, got {_kind(target)}")
        settings.target = target
        split = d.get("validation_split", settings.validation_split)
        if isinstance(split, bool) or not isinstance(split, numbers.Real) or not 0 <= split < 1:
            raise self.error("data.validation_split", f"expected a number from 0 to below 1, got {_kind(split)}")
        settings.validation_split = float(split)
        settings.standardize = self.boolean(d.get("standardize", settings.standardize), "data.standardize")
        settings.mean = self.number_list(d.get("mean"), "data.mean")
        settings.std = self.number_list(d.get("std"), "data.std")
        if (settings.mean is None) != (settings.std is None) or (
            settings.mean is not None and len(settings.mean) != len(settings.std)
        ):
            raise self.error("data.std", "mean and std must be given together, with one value per feature each")
        if settings.std is not None and any(s < 0 for s in settings.std):
            raise self.error("data.std", "standard deviations cannot be negative")
        return settings
