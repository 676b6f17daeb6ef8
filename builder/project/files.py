"""Project files on disk: `name.json` (the description, format 1) and `name.weights.npz`
beside it (trained weights by layer and weight name). Saves are atomic; loads read arrays
through builder.array_files (never a pickle) and refuse anything malformed with a message
naming file and field.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from ..array_files import read_npz
from ..atomic import atomic_write_files
from ..errors import ConfigError, DataError, SeqStudioError
from .schema import project_from_dict, project_to_dict, rebase_data_paths
from .settings import Project


def weights_path(project_path) -> Path:
    """`model.json` -> `model.weights.npz`, beside it."""
    project_path = Path(project_path)
    return project_path.with_name(project_path.stem + ".weights.npz")


def _read_text(path: Path) -> str:
    if not path.exists():
        raise SeqStudioError(f"{path}: no such project file")
    if path.is_dir():
        raise SeqStudioError(f"{path}: is a folder, not a project file")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a project file (not UTF-8 text)") from None
    except OSError as err:
        raise SeqStudioError(f"{path}: cannot read: {err.strerror}") from None


def load_project(path) -> Project:
    """The project saved at `path`, with its saved weights in every layer whose shapes match."""
    path = Path(path)
    text = _read_text(path)
    try:
        d = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: line {err.lineno}, column {err.colno}: not valid JSON: {err.msg}") from None
    project = project_from_dict(d, source=path.name)
    project.path = path
    stored = weights_path(path)
    if stored.is_file():
        _load_weights(project.model, stored)
    return project


def save_project(project: Project, path) -> None:
    """Write the project to `path` and its trained weights beside it as one atomic save:
    both are written in full before either replaces its previous file, so a failed save
    leaves the pair as it was. Relative data paths are rewritten to stay valid from the new
    folder; `project.path` becomes `path`."""
    path = Path(path)
    rebase_data_paths(project.data, project.base_dir, path.parent)
    text = _json_text(project_to_dict(project)) + "\n"
    weights = _weights_bytes(project.model)
    files = {path: text.encode("utf-8")}
    if weights is not None:
        files[weights_path(path)] = weights
    atomic_write_files(files)
    if weights is None:
        weights_path(path).unlink(missing_ok=True)
    project.path = path


def _json_text(value, indent: str = "") -> str:
    """Indented JSON whose lists of plain values (shapes, statistics) stay on one line."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key)}: {_json_text(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return "[\n" + ",\n".join(inner + _json_text(item, inner) for item in value) + f"\n{indent}]"
    return json.dumps(value, allow_nan=False)


def _weights_bytes(model) -> bytes | None:
    """The built layers' weights as .npz bytes keyed "layer_name/weight_name"; None if none."""
    arrays = {f"{layer.name}/{w.name}": w.value for layer in model.layers if layer.built for w in layer.weights}
    if not arrays:
        return None
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _load_weights(model, path: Path) -> None:
    """Put saved weights into the layers whose names and shapes match; others keep none."""
    from ..random import global_rng

    try:
        arrays = read_npz(path)
    except DataError as err:
        raise ConfigError(f"{path}: damaged weights file: {err}") from None
    for layer, row in zip(model.layers, model.shape_rows()):
        if row.error or row.input_shape is None:
            continue
        specs = layer.weight_specs(row.input_shape)
        saved = [arrays.get(f"{layer.name}/{spec.name}") for spec in specs]
        if not specs or any(a is None or a.dtype.kind != "f" or a.shape != spec.shape for a, spec in zip(saved, specs)):
            continue
        layer.build(row.input_shape, global_rng())
        layer.set_weights(saved)
