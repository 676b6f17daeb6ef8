"""Layer families, one module each. Importing this package imports every module in it, which
registers each layer class in the catalog, and exposes the classes here (`layers.Dense`)."""

import importlib
import pkgutil

from ..catalog import _REGISTRY
from .base import Layer, Weight, WeightSpec

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

globals().update(_REGISTRY)
__all__ = ["Layer", "Weight", "WeightSpec", *sorted(_REGISTRY)]
