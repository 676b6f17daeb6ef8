"""The Keras 3 target: the same Sequential in `keras.layers`, compiled with the matching
`keras.optimizers` and losses, on any Keras 3 backend; the data is read with plain numpy.

SeqStudio's layers carry Keras's names and arguments, so a layer is written generically from
its catalog schema. Keras 3 dropped the legacy `decay` argument: it becomes the
InverseTimeDecay schedule, which computes the same lr / (1 + decay * iterations).
"""

from __future__ import annotations

from .data_code import data_kind, data_constants, numpy_loader, resolved_path
from .names import call, literal
from .python_target import model_function, sequential_lines
from .script import assemble, fit_summary, header, loss_code, optimizer_arguments
from .spec import ExportSpec
from .weights import keras_arrays

TITLE = "Keras 3"
KERAS_REQUIRED = frozenset({"pool_size"})
"""Arguments Keras requires where SeqStudio has a default (AveragePooling's pool_size)."""


def keras_names(spec: ExportSpec) -> dict[str, str]:
    """Layer names as Keras takes them: '/' is refused, and '.' cannot name a torch-backend
    parameter, so both become '_' (kept unique)."""
    taken = {entry.layer.name for entry in spec.layers if not set("/.") & set(entry.layer.name)}
    renamed = {}
    for entry in spec.layers:
        name = entry.layer.name
        if set("/.") & set(name):
            base, k = name.replace("/", "_").replace(".", "_"), 2
            renamed[name] = base
            while renamed[name] in taken:
                renamed[name], k = f"{base}_{k}", k + 1
            taken.add(renamed[name])
    return renamed


def input_item(spec: ExportSpec) -> str:
    batch, *dims = spec.input_shape
    if batch is None:
        return f"keras.Input(shape={literal(tuple(dims))})"
    return f"keras.Input(batch_shape={literal((batch, *dims))})"


def optimizer_code(optimizer) -> str:
    arguments = optimizer_arguments(optimizer)
    decay = arguments.pop("decay", 0.0)
    code = call(f"keras.optimizers.{type(optimizer).__name__}", kwargs=arguments)
    if decay:
        rate = arguments["learning_rate"]
        schedule = (f"keras.optimizers.schedules.InverseTimeDecay({literal(rate)}, decay_steps=1, "
                    f"decay_rate={literal(decay)})")
        code = code.replace(f"learning_rate={literal(rate)}", f"learning_rate={schedule}", 1)
    return code


LOAD_WEIGHTS = '''
def load_weights(model, path=WEIGHTS_FILE):
    """Every layer's weights from the .npz file beside this script (keys "layer/weight")."""
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
        keras.utils.set_random_seed(SEED)
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
    csv_import = "import csv\n" if data_kind(resolved_path(spec, spec.data.path)) == "csv" else ""
    items = sequential_lines(spec, "layers.", input_item(spec), KERAS_REQUIRED, keras_names(spec))
    prelude = [
        header(spec, TITLE, "A SeqStudio model as a Keras 3 script (any backend): build_model() returns it compiled,\n"
                            "training_data() reads the project's data, train() fits it as the project does. Running\n"
                            "the file trains the model and saves it beside this script; importing it runs nothing."),
        f"{csv_import}import sys\nfrom pathlib import Path\n\nimport keras\nimport numpy as np\nfrom keras import layers",
        ("WEIGHTS_FILE = Path(__file__).with_suffix(\".npz\")\n" if weights else "")
        + "OUTPUT_FILE = Path(__file__).with_suffix(\".keras\")\n"
        + data_constants(spec),
    ]
    definitions = [
        model_function(spec, items, "keras.Sequential", optimizer_code(spec.optimizer),
                       loss_code(spec.loss, "keras.losses"), weights, spec.name.replace("/", "_")),
    ]
    if weights:
        definitions.append(LOAD_WEIGHTS.strip())
    definitions += [numpy_loader(spec), TRAIN.strip().replace("{fit}", fit_summary(spec)), MAIN.strip()]
    return assemble(prelude, definitions)


def weight_arrays(spec: ExportSpec) -> dict:
    """The .npz contents build_model() loads: Keras's layouts, keyed "layer/weight"."""
    return keras_arrays(spec, keras_names(spec))
