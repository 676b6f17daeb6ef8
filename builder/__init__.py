"""SeqStudio's engine: Keras's Sequential API on Numba kernels, usable with no window at all.

    from builder import Sequential, layers
    model = Sequential([layers.Dense(32, activation="relu", input_shape=(784,)),
                        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32)

Names are imported on first use, so `import builder` stays cheap for the command line.
"""

import importlib

from .errors import ConfigError, DataError, SeqStudioError, ShapeError

_LAZY = {
    "Sequential": ("sequential", "Sequential"),
    "layers": ("layers", None),
    "losses": ("losses", None),
    "metrics": ("metrics", None),
    "optimizers": ("optimizers", None),
    "callbacks": ("callbacks", None),
    "data": ("data", None),
    "custom_metric": ("metrics", "custom_metric"),
    "to_categorical": ("utils", "to_categorical"),
    "set_random_seed": ("random", "set_random_seed"),
    "load_model": ("saving", "load_model"),
    "available_devices": ("devices", "available_devices"),
}

__all__ = [*_LAZY, "SeqStudioError", "ConfigError", "ShapeError", "DataError"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'builder' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(f".{module_name}", __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
