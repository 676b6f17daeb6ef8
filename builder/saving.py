"""`model.save(path)` / `load_model(path)`: one zip file holding the model's JSON config and
compile settings (model.json), its weights (weights.npz) and the optimizer's state
(optimizer.npz). Arrays are read by builder.array_files (never a pickle) and nothing in the file
is executed.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from . import losses, metrics, optimizers
from .array_files import ARCHIVE_ERRORS, read_npz
from .atomic import atomic_write
from .errors import ConfigError, DataError, SeqStudioError
from .shapes import first_error

FORMAT = "seqstudio-model"
VERSION = 1


def _npz_bytes(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _weights_dict(model) -> dict:
    return {f"{i:04d}": w for i, w in enumerate(model.get_weights())}


def save_model(model, path) -> None:
    model.build()
    config = {"format": FORMAT, "version": VERSION, "model": model.get_config(), "compile": None}
    optimizer_state = {}
    if model.compiled:
        config["compile"] = {
            "optimizer": optimizers.serialize(model.optimizer),
            "loss": losses.serialize(model.loss),
            "metrics": [metrics.serialize(m) for m in model.metric_identifiers],
        }
        optimizer_state = {k: np.asarray(v) for k, v in model.optimizer.get_state().items()}
    with atomic_write(path) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.json", json.dumps(config, indent=1))
        archive.writestr("weights.npz", _npz_bytes(_weights_dict(model)))
        if optimizer_state:
            archive.writestr("optimizer.npz", _npz_bytes(optimizer_state))


def save_weights(model, path) -> None:
    """Weights alone, as an .npz in Keras's order."""
    with atomic_write(path) as handle:
        handle.write(_npz_bytes(_weights_dict(model)))


def _read_archive(path: Path) -> tuple:
    """(config, weights, optimizer state) from the model file, or SeqStudioError."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {"model.json", "weights.npz"} <= names:
                raise SeqStudioError(f"{path}: not a SeqStudio model file (model.json or weights.npz missing)")
            try:
                config = json.loads(archive.read("model.json").decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise SeqStudioError(f"{path}: model.json is damaged: {err}") from None
            weights = _read_npz(archive, "weights.npz", path)
            state = _read_npz(archive, "optimizer.npz", path) if "optimizer.npz" in names else {}
    except ARCHIVE_ERRORS as err:
        raise SeqStudioError(f"{path}: damaged archive: {err}") from None
    return config, weights, state


def _read_npz(archive: zipfile.ZipFile, member: str, path) -> dict:
    try:
        return read_npz(io.BytesIO(archive.read(member)), where=member)
    except DataError as err:
        raise SeqStudioError(f"{path}: {member} is damaged: {err}") from None


def _check_weights(model, arrays: list, path) -> None:
    """The saved arrays must be the model's weights, shape for shape, before any is allocated."""
    rows = model.shape_rows()
    if not rows or any(row.error or row.input_shape is None for row in rows):
        raise SeqStudioError(f"{path}: the saved layers do not fit together: {first_error(rows) or 'no input shape'}")
    needed = [spec.shape for layer, row in zip(model.layers, rows) for spec in layer.weight_specs(row.input_shape)]
    found = [a.shape for a in arrays]
    if found != needed or any(a.dtype.kind != "f" for a in arrays):
        raise SeqStudioError(
            f"{path}: weights.npz does not fit the model: it holds {len(found)} arrays of shapes "
            f"{_first(found)}, the layers need {len(needed)} of shapes {_first(needed)} (floating point)"
        )


def _first(shapes: list, n: int = 6) -> str:
    return ", ".join(map(str, shapes[:n])) + (", ..." if len(shapes) > n else "")


def _compile(model, compiled, state: dict, custom_objects, path) -> None:
    if not isinstance(compiled, dict) or not isinstance(compiled.get("metrics", []), list):
        raise ConfigError(f"{path}: compile: expected {{'optimizer': ..., 'loss': ..., 'metrics': [...]}}")
    model.compile(
        optimizer=optimizers.deserialize(compiled.get("optimizer")),
        loss=losses.deserialize(compiled.get("loss"), custom_objects),
        metrics=[metrics.deserialize(m, custom_objects) for m in compiled.get("metrics", [])],
    )
    if state:
        model.optimizer.build(model.flat_parameters().size)
        model.optimizer.set_state(state)


def load_model(path, custom_objects: dict | None = None):
    """A model saved by `model.save`: layers, weights and (if compiled) optimizer state.

    custom_objects maps the names of custom metrics (and custom loss classes) to the objects
    to use, as in Keras: {"mean_pred": metric_mean_pred}. The file is checked (config field by
    field, sizes, weight shapes) before any weight is allocated.
    """
    from .project.schema import model_from_dict

    path = Path(path)
    if not path.exists():
        raise SeqStudioError(f"{path}: no such file")
    if path.is_dir():
        raise SeqStudioError(f"{path}: is a folder, not a saved model")
    if not zipfile.is_zipfile(path):
        raise SeqStudioError(f"{path}: not a SeqStudio model file")
    config, weights, state = _read_archive(path)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise SeqStudioError(f"{path}: not a SeqStudio model file")
    if not isinstance(config.get("version"), int) or config["version"] > VERSION:
        raise SeqStudioError(
            f"{path}: saved by a newer SeqStudio (format version {config.get('version')!r}); this one reads up to {VERSION}"
        )
    model = model_from_dict(config.get("model"), source=f"{path}: model")
    arrays = [weights[k] for k in sorted(weights)]
    _check_weights(model, arrays, path)
    model.build()
    model.set_weights(arrays)
    if config.get("compile"):
        _compile(model, config["compile"], state, custom_objects, path)
    return model
