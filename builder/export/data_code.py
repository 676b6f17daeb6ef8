"""The data half of an exported script: constants naming the project's data, and functions that
read it as SeqStudio does (CSV with a target column, or .npy/.npz arrays), shape it for the model
and the loss, standardize it, and split off the validation rows.

`numpy_loader` writes self-contained numpy code for the Keras and PyTorch scripts;
`seqstudio_loader` writes code that calls SeqStudio's own loaders. Every value is a `literal`.
"""

from __future__ import annotations

from pathlib import Path

from .names import literal, wrap_list
from .spec import ExportSpec

CATEGORICAL_LOSSES = ("categorical_crossentropy", "kl_divergence")
MAX_EMBEDDED_STATISTICS = 4096
"""Standardization statistics up to this many values are written into the script; larger ones
are recomputed from the training data when the script runs."""


def data_kind(path: str | None) -> str:
    """"npy", "npz" or "csv" (SeqStudio reads every other suffix as CSV)."""
    suffix = Path(path).suffix.lower() if path else ""
    return {".npy": "npy", ".npz": "npz"}.get(suffix, "csv")


def resolved_path(spec: ExportSpec, path: str | None) -> str | None:
    """A real file path: bundled datasets resolve to the CSV installed with SeqStudio."""
    if path is not None and path == spec.data.path and spec.data.bundled:
        from ..data import bundled_path

        return str(bundled_path(spec.data.bundled))
    return path


def _statistics(spec: ExportSpec):
    data = spec.data
    if data.mean is None or len(data.mean) > MAX_EMBEDDED_STATISTICS:
        return None, None
    return data.mean, data.std


def _float_list(values) -> str:
    return "[\n" + wrap_list([literal(float(v)) for v in values], "    ") + "\n]"


def data_constants(spec: ExportSpec, bundled_as_path: bool = True) -> str:
    """The module constants every data function reads."""
    data = spec.data
    path = resolved_path(spec, data.path) if bundled_as_path else data.path
    lines = []
    if data.path is None:
        lines.append("# No data file was set: name one on the command line (python script.py DATA.csv).")
    elif data.bundled and bundled_as_path:
        lines.append(f"# The {literal(data.bundled)} dataset bundled with SeqStudio.")
    if data.bundled and not bundled_as_path:
        lines.append(f"DATA_FILE = bundled_path({literal(data.bundled)})  # a dataset bundled with SeqStudio")
    else:
        lines.append(f"DATA_FILE = {literal(path)}")
    lines += [
        f"LABELS_FILE = {literal(data.labels_path)}",
        f"TARGET = {literal(data.target)}  # the target column: a name, an index, or None for the last",
        f"VALIDATION_FILE = {literal(data.validation_path)}",
        f"VALIDATION_SPLIT = {literal(data.validation_split)}",
        f"STANDARDIZE = {literal(data.standardize)}  # scale features by the training data's mean and std",
        f"INPUT_SHAPE = {literal(tuple(spec.input_shape[1:]))}",
        f"OUTPUT_SHAPE = {literal(tuple(spec.output_shape[1:]))}",
    ]
    mean, std = _statistics(spec)
    if mean is None:
        lines.append("MEAN = STD = None  # computed from the training data when the script runs")
    else:
        lines.append("# The project's standardization statistics, one value per feature.")
        lines.append(f"MEAN = {_float_list(mean)}")
        lines.append(f"STD = {_float_list(std)}")
    lines += [
        f"EPOCHS = {literal(spec.fit.epochs)}",
        f"BATCH_SIZE = {literal(spec.fit.batch_size)}",
        f"SHUFFLE = {literal(spec.fit.shuffle)}",
        f"SEED = {literal(spec.fit.seed)}",
    ]
    return "\n".join(lines)


_READ_CSV = '''
def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_csv(path, target=TARGET):
    """Numeric feature columns and one target column of a CSV file with an optional header row;
    text labels become class indices in sorted order, as SeqStudio numbers them."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        delimiter = max(",;\\t", key=sample.count)
        rows = [row for row in csv.reader(handle, delimiter=delimiter) if any(cell.strip() for cell in row)]
    header = None if all(_is_number(cell) for cell in rows[0]) else [cell.strip() for cell in rows[0]]
    if header is not None:
        rows = rows[1:]
    if isinstance(target, str):
        column = header.index(target)
    else:
        column = (-1 if target is None else target) % len(rows[0])
    x = np.array([[float(cell) for i, cell in enumerate(row) if i != column] for row in rows], dtype=np.float32)
    return x, class_indices(np.array([row[column].strip() for row in rows]))
'''

_READ_NPY = '''
def read_arrays(path, labels_path=LABELS_FILE):
    """Features from a .npy file and targets from another with as many rows."""
    x = np.load(path, allow_pickle=False)
    y = np.load(labels_path, allow_pickle=False)
    return x.astype(np.float32), class_indices(y)
'''

_READ_NPZ = '''
def read_arrays(path, labels_path=None):
    """Features "x" and targets "y" from one .npz archive."""
    with np.load(path, allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    return x.astype(np.float32), class_indices(y)
'''

_CLASS_INDICES = '''
def class_indices(y):
    """Targets as numbers: text labels become class indices in sorted order."""
    if y.dtype.kind in "US":
        try:
            return y.astype(np.float32)
        except ValueError:
            classes = {label: index for index, label in enumerate(sorted(set(y.tolist())))}
            return np.array([classes[label] for label in y.tolist()], dtype=np.int64)
    return y
'''

_STANDARDIZE = '''
def standardize(x, mean, std):
    """(x - mean) / std feature by feature; mean and std of x itself when they are None."""
    rows = x.reshape(len(x), -1).astype(np.float64)
    if mean is None:
        mean, std = rows.mean(axis=0), rows.std(axis=0)
        std[std == 0] = 1.0
    scaled = (rows - np.asarray(mean)) / np.asarray(std)
    return scaled.astype(np.float32).reshape(x.shape), mean, std
'''

_SPLIT = '''
def split_validation(x, y, fraction, seed):
    """Training and validation rows as SeqStudio splits them: a seeded random choice of
    `fraction` of the rows, each part in file order."""
    validation_rows = len(x) - int(len(x) * (1.0 - fraction))
    order = np.random.default_rng(seed).permutation(len(x))
    validation, training = np.sort(order[:validation_rows]), np.sort(order[validation_rows:])
    return (x[training], y[training]), (x[validation], y[validation])
'''


def _targets_line(spec: ExportSpec) -> str:
    """The code that turns loaded targets into what the loss reads."""
    name = spec.loss.name
    if name in CATEGORICAL_LOSSES:
        return ("    if y.shape[1:] != OUTPUT_SHAPE:  # class indices: one-hot rows for the loss\n"
                "        y = np.eye(OUTPUT_SHAPE[-1], dtype=np.float32)[y.astype(np.int64).reshape(len(y), *OUTPUT_SHAPE[:-1])]\n"
                "    return x, y.astype(np.float32)")
    if name == "sparse_categorical_crossentropy":
        return "    return x, y.astype(np.int64).reshape(len(y), *OUTPUT_SHAPE[:-1])  # class indices"
    return "    return x, y.astype(np.float32).reshape(len(y), *OUTPUT_SHAPE)"


def numpy_loader(spec: ExportSpec) -> str:
    """load_data() and training_data() in plain numpy (for the Keras and PyTorch scripts)."""
    kind = data_kind(resolved_path(spec, spec.data.path))
    reader = {"csv": _READ_CSV, "npy": _READ_NPY, "npz": _READ_NPZ}[kind]
    call = "read_csv(path)" if kind == "csv" else "read_arrays(path, labels_path)"
    blocks = [reader.strip(), _CLASS_INDICES.strip()]
    blocks.append(
        "def load_data(path=DATA_FILE, labels_path=LABELS_FILE):\n"
        '    """Features x shaped as the model\'s input and targets y as the loss reads them."""\n'
        f"    x, y = {call}\n"
        "    x = x.reshape(len(x), *INPUT_SHAPE)\n"
        + _targets_line(spec)
    )
    blocks.append(_STANDARDIZE.strip())
    blocks.append(_SPLIT.strip())
    blocks.append(_training_data(spec))
    return "\n\n\n".join(blocks)


def _training_data(spec: ExportSpec) -> str:
    lines = [
        "def training_data(path=DATA_FILE):",
        '    """(x, y) to train on and (x_val, y_val) to validate on (None without validation), as the',
        '    project prepares them: validation rows split off first, standardization fitted on the rest."""',
        "    x, y = load_data(path)",
        "    if VALIDATION_FILE is not None:",
        "        validation = load_data(VALIDATION_FILE, None)",
        "    elif VALIDATION_SPLIT:",
        "        (x, y), validation = split_validation(x, y, VALIDATION_SPLIT, seed=0 if SEED is None else SEED)",
        "    else:",
        "        validation = None",
    ]
    lines += [
        "    if STANDARDIZE:",
        "        x, mean, std = standardize(x, MEAN, STD)",
        "        if validation is not None:",
        "            validation = (standardize(validation[0], mean, std)[0], validation[1])",
        "    return (x, y), validation",
    ]
    return "\n".join(lines)


_SEQSTUDIO_ARRAYS = {
    "categorical": '''
def arrays(dataset):
    """(x, y) for fit: rows shaped as the model's input, class indices one-hot for the loss."""
    x = reshape_features(dataset.x, INPUT_SHAPE, dataset.source)
    return x, one_hot(dataset.y, OUTPUT_SHAPE[-1], dataset.source)
''',
    "plain": '''
def arrays(dataset):
    """(x, y) for fit: rows shaped as the model's input."""
    return reshape_features(dataset.x, INPUT_SHAPE, dataset.source), dataset.y
''',
}


def seqstudio_loader(spec: ExportSpec) -> str:
    """load_data() and training_data() on SeqStudio's own loaders (for the SeqStudio script)."""
    kind = "categorical" if spec.loss.name in CATEGORICAL_LOSSES else "plain"
    blocks = [
        "def load_data(path=DATA_FILE, labels_path=LABELS_FILE, class_labels=None):\n"
        '    """The data file as a SeqStudio Dataset (text labels numbered as in the project)."""\n'
        "    return read_data(path, labels_path, target=-1 if TARGET is None else TARGET, class_labels=class_labels)",
        _SEQSTUDIO_ARRAYS[kind].strip(),
    ]
    lines = [
        "def training_data(path=DATA_FILE):",
        '    """(x, y) to train on and (x_val, y_val) to validate on (None without validation), as the',
        '    project prepares them: validation rows split off first, standardization fitted on the rest."""',
        "    train = load_data(path)",
        "    if VALIDATION_FILE is not None:",
        "        validation = load_data(VALIDATION_FILE, None, class_labels=train.class_labels)",
        "    elif VALIDATION_SPLIT:",
        "        train, validation = split_validation(train, VALIDATION_SPLIT, seed=0 if SEED is None else SEED)",
        "    else:",
        "        validation = None",
    ]
    lines += [
        "    if STANDARDIZE:",
        "        if MEAN is None:",
        "            statistics = Standardization.fit(train.x)",
        "        else:",
        '            statistics = Standardization.from_dict({"shape": list(train.x.shape[1:]), "mean": MEAN, "std": STD})',
        "        for dataset in (train, validation):",
        "            if dataset is not None:",
        "                dataset.standardize(statistics)",
    ]
    lines.append("    return arrays(train), None if validation is None else arrays(validation)")
    blocks.append("\n".join(lines))
    return "\n\n\n".join(blocks)
