"""The one random source of the engine, so that `set_random_seed(n)` makes runs repeatable."""

from __future__ import annotations

import numpy as np

_state = {"rng": np.random.default_rng()}


def set_random_seed(seed: int) -> None:
    """Seed weight initialisation, shuffling and dropout for repeatable runs."""
    _state["rng"] = np.random.default_rng(int(seed))


def global_rng() -> np.random.Generator:
    return _state["rng"]
