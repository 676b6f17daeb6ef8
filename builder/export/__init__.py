"""Code export: a project or model as a readable, self-contained Python script for SeqStudio
itself, Keras 3 or PyTorch 2, optionally with its weights in an .npz beside the script.

    from builder.export import export_text, write_export
    text = export_text(project, "pytorch")                    # the script, as a string
    write_export(project, "keras", "model.py", weights=True)  # model.py and model.npz

Generation is a pure function from the model (and its weights) to text; every name, path and
label in it is written with repr() or made a plain identifier, so nothing in a project can
become code.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_write
from ..errors import ConfigError

TARGETS = ("python", "keras", "pytorch")
"""The export targets: SeqStudio's own API, Keras 3, PyTorch 2."""


def _target_module(target: str):
    if target == "python":
        from . import python_target as module
    elif target == "keras":
        from . import keras_target as module
    elif target == "pytorch":
        from . import pytorch_target as module
    else:
        raise ConfigError(f"unknown export target {target!r}; expected one of {', '.join(TARGETS)}")
    return module


def weights_file(script_path) -> Path:
    """The .npz beside a script, named after it: model.py -> model.npz."""
    return Path(script_path).with_suffix(".npz")


def export_text(model_or_project, target: str, weights: bool = False) -> str:
    """The script for `target` ("python", "keras" or "pytorch"), writing nothing: with
    `weights`, its build_model() loads the .npz beside the script (see `write_export`). Cheap
    (no weight is allocated), so a preview can call it on every change."""
    from .spec import export_spec

    module = _target_module(target)
    return module.generate(export_spec(model_or_project), weights=weights)


def export_code(model_or_project, target: str, weights_path=None) -> str:
    """The script for `target`. With `weights_path`, the weights are written there too and the
    script's build_model() loads them from the .npz beside itself (so pass
    `weights_file(script_path)`)."""
    from .spec import export_spec

    if weights_path is None:
        return export_text(model_or_project, target)
    from .weights import write_npz

    module = _target_module(target)
    spec = export_spec(model_or_project, weights=True)
    text = module.generate(spec, weights=True)
    write_npz(weights_path, module.weight_arrays(spec))
    return text


def write_export(model_or_project, target: str, script_path, weights: bool = False) -> Path:
    """Write the script to `script_path` (and its weights to the .npz beside it); returns the
    script's path."""
    script_path = Path(script_path)
    if script_path.suffix != ".py":
        raise ConfigError(f"{script_path}: an exported script needs a name ending in .py")
    text = export_code(model_or_project, target, weights_file(script_path) if weights else None)
    with atomic_write(script_path) as handle:
        handle.write(text.encode("utf-8"))
    return script_path


__all__ = ["TARGETS", "export_code", "export_text", "weights_file", "write_export"]
