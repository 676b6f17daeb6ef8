"""Hyper-parameter schemas: one declaration per argument, read by validation, the catalog,
the inspector, project files and code export alike.

A `Param` checks and normalises a value (``kernel_size=3`` becomes ``(3, 3)`` for a 2-D
layer) and raises `ConfigError` naming the layer, the argument and the value otherwise.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ConfigError

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Param:
    """One hyper-parameter of a layer.

    kind is one of: "int", "float", "bool", "choice", "activation", "initializer", "ints"
    (a tuple of `length` ints; a single int is repeated), "shape" (a tuple of positive ints,
    one of which may be -1), "optional_int", "optional_ints".
    """

    name: str
    kind: str
    default: Any = _NO_DEFAULT
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    choices: tuple = ()
    length: int | None = None
    help: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT

    def check(self, owner: str, value: Any) -> Any:
        """Return the normalised value, or raise ConfigError naming owner, argument and value."""
        try:
            return _CHECKS[self.kind](self, value)
        except _Reject as why:
            raise ConfigError(
                f"{owner}: invalid {self.name}={value!r}: {why}"
            ) from None


class _Reject(Exception):
    pass


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_range(p: Param, v: float) -> None:
    if p.low is not None and (v < p.low or (v == p.low and not p.low_inclusive)):
        raise _Reject(f"expected a value {'>=' if p.low_inclusive else '>'} {p.low}")
    if p.high is not None and (v > p.high or (v == p.high and not p.high_inclusive)):
        raise _Reject(f"expected a value {'<=' if p.high_inclusive else '<'} {p.high}")


def _check_int(p: Param, v: Any) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not _is_int(v):
        raise _Reject("expected an integer")
    v = int(v)
    _check_range(p, v)
    return v


def _check_optional_int(p: Param, v: Any) -> int | None:
    return None if v is None else _check_int(p, v)


def _check_float(p: Param, v: Any) -> float:
    """A finite number within the bounds, also once rounded to float32, the precision the
    kernels compute in (an epsilon of 1e-46 is 0 there, a rate of 1 - 1e-12 is 1)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise _Reject("expected a number")
    v = float(v)
    if not math.isfinite(v):
        raise _Reject("expected a finite number")
    _check_range(p, v)
    with np.errstate(over="ignore"):
        single = float(np.float32(v))
    if not math.isfinite(single):
        raise _Reject("expected a number within float32's range (about 3.4e38)")
    try:
        _check_range(p, single)
    except _Reject as why:
        raise _Reject(f"{why} (in float32, the precision SeqStudio computes in, it is {single!r})") from None
    return v


def _check_bool(p: Param, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if _is_int(v) and int(v) in (0, 1):
        return bool(v)
    raise _Reject("expected True or False")


def _check_choice(p: Param, v: Any) -> Any:
    key = v.lower() if isinstance(v, str) else v
    if key not in p.choices:
        raise _Reject(f"expected one of {', '.join(map(repr, p.choices))}")
    return key


def _check_activation(p: Param, v: Any) -> str | None:
    from .activations import canonical_activation

    try:
        return canonical_activation(v)
    except ValueError as err:
        raise _Reject(str(err)) from None


def _check_initializer(p: Param, v: Any) -> str:
    from .initializers import canonical_initializer

    try:
        return canonical_initializer(v)
    except ValueError as err:
        raise _Reject(str(err)) from None


def _as_int_tuple(v: Any) -> tuple:
    if isinstance(v, (list, tuple)):
        items = tuple(v)
    elif hasattr(v, "tolist") and getattr(v, "ndim", 0) == 1:
        items = tuple(v.tolist())
    else:
        raise _Reject("expected a tuple of integers")
    out = []
    for item in items:
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        if not _is_int(item):
            raise _Reject("expected a tuple of integers")
        out.append(int(item))
    return tuple(out)


def _check_ints(p: Param, v: Any) -> tuple:
    n = p.length or 1
    if _is_int(v) or isinstance(v, float):
        v = (_check_int(Param(p.name, "int"), v),) * n
    items = _as_int_tuple(v)
    if len(items) != n:
        raise _Reject(f"expected {n} integer{'s' if n > 1 else ''}")
    for item in items:
        _check_range(p, item)
    return items


def _check_optional_ints(p: Param, v: Any) -> tuple | None:
    return None if v is None else _check_ints(p, v)


def _check_shape(p: Param, v: Any) -> tuple:
    if _is_int(v):
        v = (v,)
    items = _as_int_tuple(v)
    if not items:
        raise _Reject("expected at least one dimension")
    if any(d == 0 or d < -1 for d in items):
        raise _Reject("dimensions must be positive (or -1 once)")
    if items.count(-1) > 1:
        raise _Reject("at most one dimension may be -1")
    return items


_CHECKS = {
    "int": _check_int,
    "optional_int": _check_optional_int,
    "float": _check_float,
    "bool": _check_bool,
    "choice": _check_choice,
    "activation": _check_activation,
    "initializer": _check_initializer,
    "ints": _check_ints,
    "optional_ints": _check_optional_ints,
    "shape": _check_shape,
}

KINDS = tuple(_CHECKS)
