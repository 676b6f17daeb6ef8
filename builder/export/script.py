"""Pieces every exported script shares: the header, a layer's arguments, an optimizer's
arguments, and the weight file's keys."""

from __future__ import annotations

from .names import literal
from .spec import ExportSpec, LayerEntry

COMMON_OPTIMIZER_OPTIONS = ("decay", "clipvalue", "global_clipnorm")
"""Options every optimizer takes; written only when set."""


def header(spec: ExportSpec, target: str, summary: str) -> str:
    """Comment lines naming what was exported (names written with repr), then the docstring."""
    return "\n".join([
        f"# Exported from SeqStudio as a {target} script: model {literal(spec.name)} "
        f"from {literal(spec.source)}, {spec.total_params:,} parameters.",
        *(f"# The custom metric {literal(name)} is not exported." for name in spec.dropped_metrics),
        f'"""{summary}"""',
    ])


def layer_arguments(entry: LayerEntry, always: frozenset = frozenset()) -> dict:
    """The layer's hyper-parameters that differ from their defaults (required ones, and those
    named in `always`, whatever their value)."""
    layer = entry.layer
    arguments = {}
    for param in layer.PARAMS:
        value = getattr(layer, param.name)
        if param.required or param.name in always or value != param.default:
            arguments[param.name] = value
    return arguments


def optimizer_arguments(optimizer) -> dict:
    """Every setting of the optimizer, but the common options left at their defaults."""
    defaults = {p.name: p.default for p in type(optimizer).PARAMS}
    return {
        name: value
        for name, value in optimizer.get_config().items()
        if name not in COMMON_OPTIMIZER_OPTIONS or value != defaults[name]
    }


def loss_code(loss, namespace: str) -> str:
    """The loss as its name, or as `namespace.ClassName(settings)` when it has settings off
    their defaults."""
    config = loss.get_config()
    defaults = type(loss)().get_config()
    if config == defaults:
        return literal(loss.name)
    changed = {key: value for key, value in config.items() if value != defaults.get(key)}
    return f"{namespace}.{type(loss).__name__}({', '.join(f'{k}={literal(v)}' for k, v in changed.items())})"


def weight_key(layer_name: str, weight_name: str) -> str:
    """The key of one weight in the SeqStudio and Keras scripts' .npz files."""
    return f"{layer_name}/{weight_name}"


def fit_summary(spec: ExportSpec) -> str:
    """The fit settings in words, for a docstring (numbers only: no names)."""
    fit = spec.fit
    order = "shuffled" if fit.shuffle else "in order"
    text = f"{fit.epochs} epochs of batches of {fit.batch_size}, {order}"
    return text + (f", seed {fit.seed}" if fit.seed is not None else "")


def assemble(prelude: list[str], definitions: list[str]) -> str:
    """The script: header, imports and constants one blank line apart, then the definitions
    (and the main block) two blank lines apart, as PEP 8 lays out a module."""
    return "\n\n".join(prelude) + "\n\n\n" + "\n\n\n".join(definitions) + "\n"
