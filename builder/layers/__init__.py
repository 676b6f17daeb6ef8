"""Layer families, one module each; importing this package registers them in the catalog."""

from .base import Layer, Weight, WeightSpec
from .core import Activation, Dense, Dropout, Flatten, Reshape

__all__ = ["Layer", "Weight", "WeightSpec", "Dense", "Activation", "Dropout", "Flatten", "Reshape"]
