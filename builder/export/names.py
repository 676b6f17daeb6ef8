"""Safe pieces of generated code: literals written with repr() after a type check, and Python
identifiers derived from names that may hold anything.

Nothing from a project (a layer or model name, a path, a column name, a label) reaches an
export except through `literal` (which only writes plain data types, each by its own repr) or
`identifier` (which keeps letters, digits and underscores only), so no name can become code.
"""

from __future__ import annotations

import keyword
import math
import re

import numpy as np

from ..errors import ConfigError


def literal(value) -> str:
    """`value` as Python source: None, bools, ints, finite floats, strings, and tuples, lists
    and str-keyed dicts of those; anything else is a ConfigError (never repr'd blindly)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"cannot write the non-finite number {value!r} into code")
        return repr(float(value))
    if isinstance(value, tuple):
        items = [literal(item) for item in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(literal(item) for item in value)}]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ConfigError(f"cannot write a mapping with the key {key!r} into code")
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise ConfigError(f"cannot write a value of type {type(value).__name__} into code")


def identifier(name: str, taken: set[str] | None = None, fallback: str = "layer") -> str:
    """A Python identifier made from `name`: other characters become '_', a leading digit or a
    keyword gets a prefix, and a name already in `taken` gets a number; `taken` is updated."""
    base = re.sub(r"\W", "_", str(name), flags=re.ASCII).strip("_") or fallback
    if base[0].isdigit() or keyword.iskeyword(base) or base.startswith("__"):
        base = f"{fallback}_{base}"
    base = base[:60]
    taken = set() if taken is None else taken
    candidate, k = base, 2
    while candidate in taken:
        candidate = f"{base}_{k}"
        k += 1
    taken.add(candidate)
    return candidate


def call(function: str, args: list[str] | tuple = (), kwargs: dict | None = None) -> str:
    """`function(a, b, key=literal(value), ...)`; positional args are code already written,
    keyword values are written with `literal`."""
    parts = list(args) + [f"{key}={literal(value)}" for key, value in (kwargs or {}).items()]
    return f"{function}({', '.join(parts)})"


def wrap_list(items: list[str], indent: str, width: int = 96) -> str:
    """Items joined by ', ' over as many lines as needed, each line starting with `indent`."""
    lines, line = [], ""
    for item in items:
        piece = f"{item}, "
        if line and len(indent) + len(line) + len(piece) > width:
            lines.append(indent + line.rstrip())
            line = ""
        line += piece
    if line:
        lines.append(indent + line.rstrip())
    return "\n".join(lines)
