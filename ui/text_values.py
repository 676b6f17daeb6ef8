"""Text typed into the studio's fields, read as hyper-parameter values.

"3, 3", "(3, 3)" and "3x3" are the same tuple; "" and "None" are None where None is allowed.
Errors are ConfigErrors, shown beside the field like the catalog's own checks.
"""

from __future__ import annotations

import ast
import re

from builder.errors import ConfigError

_SEPARATORS = re.compile(r"[,\sx×]+")


def parse_int_tuple(text: str, what: str, allow_none: bool = False) -> tuple | None:
    stripped = text.strip().strip("()[]").strip()
    if allow_none and stripped.lower() in ("", "none"):
        return None
    parts = [part for part in _SEPARATORS.split(stripped) if part]
    if not parts:
        raise ConfigError(f"{what}: expected integers such as 3, 3")
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError(f"{what}: {text.strip()!r} is not a list of integers") from None


def parse_float(text: str, what: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ConfigError(f"{what}: {text.strip()!r} is not a number") from None


def parse_optional_int(text: str, what: str) -> int | None:
    stripped = text.strip()
    if stripped.lower() in ("", "none"):
        return None
    try:
        return int(stripped)
    except ValueError:
        raise ConfigError(f"{what}: {stripped!r} is not an integer") from None


def parse_literal(text: str, what: str):
    """Numbers, strings, None and (nested) tuples, read safely ("1, 2" is the tuple (1, 2))."""
    try:
        return ast.literal_eval(text.strip() or "None")
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ConfigError(f"{what}: {text.strip()!r} is not a value such as 1, (1, 2) or ((1, 1), (2, 2))") from None


def shape_text(dims) -> str:
    """Dimensions as typed: (28, 28, 1) -> "28, 28, 1"."""
    return ", ".join(str(d) for d in dims)


def error_reason(message: str) -> str:
    """The "why" of a shape error, for places too small for the whole sentence:
    "dense_1 (Dense) got input shape (None,) but needs ..." -> "needs ..."."""
    _, found, reason = message.partition(" but ")
    return reason if found else message
