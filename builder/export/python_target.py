"""The SeqStudio target: a script on SeqStudio's own API (`builder`), the model written as the
Keras-style Sequential the studio shows."""

from __future__ import annotations

from .data_code import CATEGORICAL_LOSSES, data_constants, seqstudio_loader
from .names import call, literal
from .script import assemble, fit_summary, header, layer_arguments, loss_code, optimizer_arguments
from .spec import ExportSpec
from .weights import keras_arrays

TITLE = "SeqStudio"


def sequential_lines(spec: ExportSpec, prefix: str, input_item: str | None,
                     always: frozenset = frozenset(), names: dict | None = None) -> list[str]:
    """`model = Sequential([...], name=...)` for the SeqStudio and Keras scripts. Without an
    `input_item` (Keras's `keras.Input(...)`), the first layer declares the input shape; the
    arguments in `always` are written even at their defaults; `names` renames layers."""
    items = [] if input_item is None else [input_item]
    for index, entry in enumerate(spec.layers):
        arguments = layer_arguments(entry, always)
        if index == 0 and input_item is None:
            batch, *dims = spec.input_shape
            if batch is None:
                arguments["input_shape"] = tuple(dims)
            else:
                arguments["batch_input_shape"] = (batch, *dims)
        if not entry.layer.trainable:
            arguments["trainable"] = False
        arguments["name"] = (names or {}).get(entry.layer.name, entry.layer.name)
        items.append(call(f"{prefix}{entry.class_name}", kwargs=arguments))
    return items


def model_function(spec: ExportSpec, items: list[str], sequential: str, optimizer: str, loss: str,
                   weights: bool, model_name: str | None = None) -> str:
    """build_model(): the stack, compiled, with the weights loaded when they were exported."""
    body = "\n".join(f"            {item}," for item in items)
    metrics = literal(list(spec.metrics))
    loaded = "load_weights(model)\n    " if weights else ""
    what = "with the exported weights loaded" if weights else "with freshly initialized weights"
    return (
        "def build_model():\n"
        f'    """The model, compiled as the project compiles it, {what}."""\n'
        f"    model = {sequential}(\n"
        "        [\n"
        f"{body}\n"
        "        ],\n"
        f"        name={literal(spec.name if model_name is None else model_name)},\n"
        "    )\n"
        "    model.compile(\n"
        f"        optimizer={optimizer},\n"
        f"        loss={loss},\n"
        f"        metrics={metrics},\n"
        "    )\n"
        f"    {loaded}return model"
    )


LOAD_WEIGHTS = '''
def load_weights(model, path=WEIGHTS_FILE):
    """Every layer's weights from the .npz file beside this script (keys "layer/weight")."""
    model.build()
    with np.load(path, allow_pickle=False) as saved:
        for layer in model.layers:
            layer.set_weights([saved[f"{layer.name}/{weight.name}"] for weight in layer.weights])
'''

TRAIN = '''
def train(model, training, validation):
    """Fit as the project does: {fit}."""
    x, y = training
    return model.fit(x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=SHUFFLE, validation_data=validation)
'''

MAIN = '''
if __name__ == "__main__":
    if SEED is not None:
        set_random_seed(SEED)
    model = build_model()
    model.summary()
    data_file = sys.argv[1] if len(sys.argv) > 1 else DATA_FILE
    if data_file is None:
        sys.exit(f"usage: python {Path(__file__).name} DATA_FILE (the project names no data file)")
    training, validation = training_data(data_file)
    train(model, training, validation)
    model.save(OUTPUT_FILE)
    print(f"saved the trained model to {OUTPUT_FILE}")
'''


def generate(spec: ExportSpec, weights: bool) -> str:
    data_imports = ["Standardization", "reshape_features", "split_validation"]
    if spec.loss.name in CATEGORICAL_LOSSES:
        data_imports.append("one_hot")
    if spec.data.bundled:
        data_imports.insert(0, "bundled_path")
    optimizer = call(f"optimizers.{type(spec.optimizer).__name__}", kwargs=optimizer_arguments(spec.optimizer))
    loss = loss_code(spec.loss, "losses")
    names = ["Sequential", "layers", "optimizers", "set_random_seed"] + (["losses"] if loss.startswith("losses.") else [])
    numpy_import = "import numpy as np\n\n" if weights else ""
    items = sequential_lines(spec, "layers.", None)
    prelude = [
        header(spec, TITLE, "A SeqStudio model as a script: build_model() returns it compiled, training_data() reads\n"
                            "the project's data, train() fits it as the project does. Running the file trains the model\n"
                            "and saves it beside this script; importing the file runs nothing."),
        f"import sys\nfrom pathlib import Path\n\n{numpy_import}"
        f"from builder import {', '.join(sorted(names))}\n"
        f"from builder.data import {', '.join(sorted(data_imports))}\n"
        "from builder.data import load_data as read_data",
        ("WEIGHTS_FILE = Path(__file__).with_suffix(\".npz\")\n" if weights else "")
        + "OUTPUT_FILE = Path(__file__).with_suffix(\".seqstudio\")\n"
        + data_constants(spec, bundled_as_path=False),
    ]
    definitions = [
        model_function(spec, items, "Sequential", optimizer, loss, weights),
    ]
    if weights:
        definitions.append(LOAD_WEIGHTS.strip())
    definitions += [seqstudio_loader(spec), TRAIN.strip().replace("{fit}", fit_summary(spec)), MAIN.strip()]
    return assemble(prelude, definitions)


def weight_arrays(spec: ExportSpec) -> dict:
    """The .npz contents build_model() loads: Keras's layouts, keyed "layer/weight"."""
    return keras_arrays(spec)
