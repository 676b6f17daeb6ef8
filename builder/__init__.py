"""SeqStudio's engine: Keras's Sequential API on Numba kernels, usable with no window at all.

    from builder import Sequential, layers
    model = Sequential([layers.Dense(32, activation="relu", input_shape=(784,)),
                        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32)
"""

from . import callbacks, layers, losses, metrics, optimizers
from .errors import ConfigError, DataError, SeqStudioError, ShapeError
from .metrics import custom_metric
from .random import set_random_seed
from .saving import load_model
from .sequential import Sequential
from .utils import to_categorical

__all__ = [
    "Sequential",
    "layers",
    "losses",
    "metrics",
    "optimizers",
    "callbacks",
    "custom_metric",
    "to_categorical",
    "set_random_seed",
    "load_model",
    "SeqStudioError",
    "ConfigError",
    "ShapeError",
    "DataError",
]
