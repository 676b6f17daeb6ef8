"""The seed guide's models as ready-made projects, compiled and fitted as the guide does.

Each template is data (Keras class names and configs) turned into a Project through the
catalog, so a template can never disagree with what a project file may hold. `digits`, the
default, trains out of the box on the bundled digits; the others say what data they expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError

DEFAULT_TEMPLATE = "digits"


@dataclass(frozen=True)
class _Template:
    title: str
    description: str
    expects: str
    layers: tuple  # ((class_name, config), ...)
    compile: dict  # CompileSettings fields; the optimizer by name or serialized
    data: dict = field(default_factory=lambda: {"validation_split": 0.0})  # DataSettings fields


def _dense(units, activation="linear", **extra):
    return ("Dense", {"units": units, "activation": activation, **extra})


def _dropout(rate):
    return ("Dropout", {"rate": rate})


def _conv(kind, filters, kernel_size, **extra):
    return (kind, {"filters": filters, "kernel_size": kernel_size, "activation": "relu", **extra})


def _lstm(**config):
    return ("LSTM", {"units": 32, **config})


_SGD_GUIDE = {"class_name": "SGD", "config": {"learning_rate": 0.01, "decay": 1e-6, "momentum": 0.9, "nesterov": True}}
_MLP_BODY = (_dropout(0.5), _dense(64, "relu"), _dropout(0.5))
_CLASSES_10 = "a class column 0..9 (one-hot encoded for the loss)"
_BINARY = "a 0/1 label column"

_TEMPLATES: dict[str, _Template] = {
    "digits": _Template(
        "Digits MLP (default)",
        "A small MLP for the bundled 8x8 handwritten digits: 64 pixels in, Dense 64 relu, "
        "Dropout 0.2, Dense 10 softmax; Adam. Trains out of the box.",
        "The bundled digits (1,797 rows: 64 pixel columns 0..16 and a 'digit' column 0..9), "
        f"standardized; or any file with 64 features per row and {_CLASSES_10}.",
        (_dense(64, "relu", input_shape=[64]), _dropout(0.2), _dense(10, "softmax")),
        {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"], "epochs": 30,
         "batch_size": 32, "seed": 0},
        {"path": "bundled:digits", "target": "digit", "validation_split": 0.2, "standardize": True},
    ),
    "mlp": _Template(
        "MLP (the guide's first model)",
        "Dense 32 on 784 inputs, Activation relu, Dense 10, Activation softmax; RMSprop, "
        "categorical cross-entropy, accuracy.",
        f"784 features per row (28x28 images, flattened) and {_CLASSES_10}.",
        (_dense(32, input_shape=[784]), ("Activation", {"activation": "relu"}), _dense(10),
         ("Activation", {"activation": "softmax"})),
        {"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["accuracy"]},
    ),
    "mlp_multiclass": _Template(
        "MLP for multi-class softmax classification",
        "20 inputs, Dense 64 relu, Dropout 0.5, Dense 64 relu, Dropout 0.5, Dense 10 softmax; "
        "SGD (lr 0.01, decay 1e-6, momentum 0.9, Nesterov), categorical cross-entropy, accuracy.",
        f"20 features per row and {_CLASSES_10}.",
        (_dense(64, "relu", input_shape=[20]), *_MLP_BODY, _dense(10, "softmax")),
        {"optimizer": _SGD_GUIDE, "loss": "categorical_crossentropy", "metrics": ["accuracy"], "epochs": 20,
         "batch_size": 128},
    ),
    "mlp_binary": _Template(
        "MLP for binary classification",
        "20 inputs, Dense 64 relu, Dropout 0.5, Dense 64 relu, Dropout 0.5, Dense 1 sigmoid; "
        "RMSprop, binary cross-entropy, accuracy.",
        f"20 features per row and {_BINARY}.",
        (_dense(64, "relu", input_shape=[20]), *_MLP_BODY, _dense(1, "sigmoid")),
        {"optimizer": "rmsprop", "loss": "binary_crossentropy", "metrics": ["accuracy"], "epochs": 20,
         "batch_size": 128},
    ),
    "vgg_like": _Template(
        "VGG-like convnet",
        "Two blocks of two 3x3 Conv2D (32, then 64 filters, relu), 2x2 max pooling and Dropout "
        "0.25; Flatten, Dense 256 relu, Dropout 0.25, Dense 10 softmax; SGD (lr 0.01, decay 1e-6, "
        "momentum 0.9, Nesterov), categorical cross-entropy.",
        f"100x100 RGB images: 30,000 values per row (NPY/NPZ of shape (n, 100, 100, 3)) and {_CLASSES_10}.",
        (_conv("Conv2D", 32, [3, 3], input_shape=[100, 100, 3]), _conv("Conv2D", 32, [3, 3]),
         ("MaxPooling2D", {"pool_size": [2, 2]}), _dropout(0.25),
         _conv("Conv2D", 64, [3, 3]), _conv("Conv2D", 64, [3, 3]),
         ("MaxPooling2D", {"pool_size": [2, 2]}), _dropout(0.25),
         ("Flatten", {}), _dense(256, "relu"), _dropout(0.25), _dense(10, "softmax")),
        {"optimizer": _SGD_GUIDE, "loss": "categorical_crossentropy", "metrics": [], "epochs": 10,
         "batch_size": 32},
    ),
    "conv1d": _Template(
        "Sequence classification with 1D convolutions",
        "Conv1D 64, Conv1D 64 (kernel 3, relu), max pooling 3, Conv1D 128, Conv1D 128, global "
        "average pooling, Dropout 0.5, Dense 1 sigmoid; RMSprop, binary cross-entropy, accuracy.",
        f"Sequences of 64 steps of 100 features: 6,400 values per row (NPY/NPZ of shape (n, 64, 100)) and {_BINARY}.",
        (_conv("Conv1D", 64, 3, input_shape=[64, 100]), _conv("Conv1D", 64, 3), ("MaxPooling1D", {"pool_size": 3}),
         _conv("Conv1D", 128, 3), _conv("Conv1D", 128, 3), ("GlobalAveragePooling1D", {}), _dropout(0.5),
         _dense(1, "sigmoid")),
        {"optimizer": "rmsprop", "loss": "binary_crossentropy", "metrics": ["accuracy"], "epochs": 10,
         "batch_size": 16},
    ),
    "embedding_lstm": _Template(
        "Sequence classification with LSTM",
        "Embedding of a 20,000-word vocabulary into 256 dimensions, LSTM 128, Dropout 0.5, Dense 1 "
        "sigmoid; RMSprop, binary cross-entropy, accuracy.",
        f"Sequences of 80 word indices 0..19,999 per row and {_BINARY}.",
        (("Embedding", {"input_dim": 20000, "output_dim": 256, "input_shape": [80]}), ("LSTM", {"units": 128}),
         _dropout(0.5), _dense(1, "sigmoid")),
        {"optimizer": "rmsprop", "loss": "binary_crossentropy", "metrics": ["accuracy"], "epochs": 10,
         "batch_size": 16},
    ),
    "stacked_lstm": _Template(
        "Stacked LSTM for sequence classification",
        "Three LSTM 32 (the first two return sequences) on 8 steps of 16 features, Dense 10 "
        "softmax; RMSprop, categorical cross-entropy, accuracy.",
        "Sequences of 8 steps of 16 features: 128 values per row (NPY/NPZ of shape (n, 8, 16)) "
        f"and {_CLASSES_10}, or 10 target values per row.",
        (_lstm(return_sequences=True, input_shape=[8, 16]), _lstm(return_sequences=True), _lstm(),
         _dense(10, "softmax")),
        {"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["accuracy"], "epochs": 5,
         "batch_size": 64},
    ),
    "stateful_lstm": _Template(
        "Stacked LSTM, stateful",
        "The stacked LSTM with stateful layers: each batch of 32 continues the sequences of the "
        "previous one, so it is fitted in order (shuffle off).",
        "Sequences of 8 steps of 16 features (NPY/NPZ of shape (n, 8, 16)), n a multiple of 32, "
        f"and {_CLASSES_10}, or 10 target values per row.",
        (_lstm(return_sequences=True, stateful=True, batch_input_shape=[32, 8, 16]),
         _lstm(return_sequences=True, stateful=True), _lstm(stateful=True), _dense(10, "softmax")),
        {"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["accuracy"], "epochs": 5,
         "batch_size": 32, "shuffle": False},
    ),
}

TEMPLATES: tuple[str, ...] = tuple(_TEMPLATES)
"""Every template's name, the default first."""


def _template(name: str) -> _Template:
    try:
        return _TEMPLATES[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown template {name!r}; expected one of {', '.join(TEMPLATES)}") from None


def template_info(name: str) -> tuple[str, str, str]:
    """(title, description, the data it expects) of one template."""
    template = _template(name)
    return template.title, template.description, template.expects


def build_template(name: str = DEFAULT_TEMPLATE):
    """A new, unsaved Project holding the template's stack and settings."""
    from . import optimizers
    from .catalog import layer_from_config
    from .project import CompileSettings, DataSettings, Project
    from .sequential import Sequential

    template = _template(name)
    model = Sequential([layer_from_config(class_name, config) for class_name, config in template.layers], name=name)
    settings = dict(template.compile)
    settings["optimizer"] = optimizers.serialize(optimizers.get(settings["optimizer"]))
    return Project(
        model=model,
        compile=CompileSettings(**settings),
        data=DataSettings(**template.data),
        description=f"{template.title}: {template.description} Data: {template.expects}",
    )
