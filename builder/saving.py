"""`model.save(path)` / `load_model(path)`: one zip file holding the model's JSON config and
compile settings (model.json), its weights (weights.npz) and the optimizer's state
(optimizer.npz). Arrays are read with allow_pickle=False and nothing in the file is executed.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from . import losses, metrics, optimizers
from .atomic import atomic_write
from .errors import ConfigError, SeqStudioError

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


def _read_npz(archive: zipfile.ZipFile, member: str, path) -> dict:
    try:
        with np.load(io.BytesIO(archive.read(member)), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise SeqStudioError(f"{path}: {member} is damaged: {err}") from None


def load_model(path, custom_objects: dict | None = None):
    """A model saved by `model.save`: layers, weights and (if compiled) optimizer state.

    custom_objects maps the names of custom metrics (and custom loss classes) to the objects
    to use, as in Keras: {"mean_pred": metric_mean_pred}.
    """
    from .sequential import Sequential

    path = Path(path)
    if not path.exists():
        raise SeqStudioError(f"{path}: no such file")
    if path.is_dir():
        raise SeqStudioError(f"{path}: is a folder, not a saved model")
    if not zipfile.is_zipfile(path):
        raise SeqStudioError(f"{path}: not a SeqStudio model file")
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
    except zipfile.BadZipFile as err:
        raise SeqStudioError(f"{path}: damaged archive: {err}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise SeqStudioError(f"{path}: not a SeqStudio model file")
    if not isinstance(config.get("version"), int) or config["version"] > VERSION:
        raise SeqStudioError(
            f"{path}: saved by a newer SeqStudio (format version {config.get('version')!r}); this one reads up to {VERSION}"
        )
    try:
        model = Sequential.from_config(config["model"])
        model.build()
        model.set_weights([weights[k] for k in sorted(weights)])
        if config.get("compile"):
            compiled = config["compile"]
            model.compile(
                optimizer=optimizers.deserialize(compiled["optimizer"]),
                loss=losses.deserialize(compiled["loss"], custom_objects),
                metrics=[metrics.deserialize(m, custom_objects) for m in compiled.get("metrics", [])],
            )
            if state:
                model.optimizer.build(model.flat_parameters().size)
                model.optimizer.set_state(state)
    except (KeyError, TypeError) as err:
        raise ConfigError(f"{path}: incomplete model description ({err})") from None
    return model
