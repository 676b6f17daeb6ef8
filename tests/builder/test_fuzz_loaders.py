"""Fuzzing of everything SeqStudio reads from disk: CSV, NPY and NPZ data, project files with
their weights, saved models and imported Keras scripts, with random bytes and with valid files
mutated (bytes flipped, cut, NULs inserted, .npy headers rewritten, JSON fields, lines and
literals replaced).

Whatever the bytes, a loader returns usable data or refuses with one of SeqStudio's errors
(DataError or ConfigError for data, any SeqStudioError for projects and models), and quickly:
each example has a 2 s deadline. A loaded dataset is float32, finite and as long as its
targets. Run with -s to see how many files were tried.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder import ConfigError, DataError, SeqStudioError, Sequential, layers, load_model
from builder.data import load_csv, load_data, load_npy, load_npz
from builder.importer import import_keras_code
from builder.project import load_project, new_project, save_project
from builder.templates import TEMPLATES

# A RuntimeWarning from a loader means a value overflowed or turned NaN on the way in, silently.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

TRIED: Counter = Counter()
OUTCOMES: Counter = Counter()

# Deterministic in CI (same examples every run, no example database), 2 s per example at most.
FUZZ = dict(derandomize=True, database=None, deadline=timedelta(seconds=2), print_blob=True)
DATA_ERRORS = (DataError, ConfigError)


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\nfiles tried:", ", ".join(f"{key}: {n}" for key, n in sorted(TRIED.items())))
    print("outcomes:", ", ".join(f"{key}: {n}" for key, n in sorted(OUTCOMES.items())))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One folder for the whole module: each example overwrites the same few files."""
    return tmp_path_factory.mktemp("fuzz")


class Originals(list):
    """Valid files to mutate; printed short in a failure report."""

    def __repr__(self) -> str:
        return f"<{len(self)} valid files>"


def outcome(kind: str, load, *args, allowed=DATA_ERRORS, **kwargs):
    """Run a loader: its result, or None when it refused with an allowed error (with a message)."""
    TRIED[kind] += 1
    try:
        result = load(*args, **kwargs)
    except allowed as err:
        assert str(err), "a refusal must say why"
        OUTCOMES[f"{kind} refused"] += 1
        return None
    OUTCOMES[f"{kind} loaded"] += 1
    return result


def check_dataset(dataset) -> None:
    """What a training run relies on in a loaded dataset."""
    if dataset is None:
        return
    x = dataset.x
    assert x.dtype == np.float32 and x.flags.c_contiguous and len(x) > 0
    assert np.isfinite(x).all()
    if dataset.y is not None:
        assert len(dataset.y) == len(x)
        assert dataset.y.dtype.kind == "i" or (dataset.y.dtype == np.float32 and np.isfinite(dataset.y).all())


# -- byte mutations ---------------------------------------------------------------------------
@st.composite
def mutated(draw, original: bytes, max_edits: int = 4) -> bytes:
    """original with a few edits: bytes flipped or overwritten, cut short, NULs or random bytes
    inserted, spans deleted or repeated."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, max_edits))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["flip", "truncate", "nul", "insert", "delete", "repeat", "overwrite"]))
        if edit == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif edit == "truncate":
            del data[at:]
        elif edit == "nul":
            data[at:at] = b"\x00" * draw(st.integers(1, 3))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif edit == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif edit == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 64))]
        elif edit == "overwrite" and at < len(data):
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


PREFIXES = [b"", b"\x93NUMPY", b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00", b"\x93NUMPY\x03\x00", b"PK\x03\x04",
            b"PK\x05\x06", b"\xef\xbb\xbf", b"a,b\n", b"{"]


def random_bytes():
    return st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=600)).map(b"".join)


def _members(archive_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# -- .npy files -----------------------------------------------------------------------------
NPY_DTYPES = ["<f4", "<f8", ">f4", "<i4", "<i8", "|u1", "|b1", "<f2", "<U3", "|S2", "<c8"]
HEADER_DESCRS = ["'<f4'", "'|O'", "'<U5'", "'|V8'", "'<c16'", "'>f8'", "[('a', '<f4')]", "'|b1'", "'garbage'",
                 "'<M8[D]'", "'<i8'", "[('a', '|O')]", "42", "None"]
HEADER_SHAPES = ["(3, 2)", "(2,)", "()", "(0, 4)", "(-1, 2)", "(3000000000000, 2)", "(300000000, 2)",
                 "(2**40,)", "(1, 1, 1, 1, 1, 1)", "(1.5,)", "'3'", "(4611686018427387904, 4)", "[3, 2]"]


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@st.composite
def arrays(draw, rows=None):
    dtype = np.dtype(draw(st.sampled_from(NPY_DTYPES)))
    shape = (rows or draw(st.integers(1, 6)), *draw(st.lists(st.integers(1, 4), max_size=2)))
    values = np.random.default_rng(draw(st.integers(0, 99))).normal(0, 3, size=shape)
    if draw(st.integers(0, 5)) == 0:
        values.flat[0] = draw(st.sampled_from([np.nan, np.inf, 1e39]))
    with np.errstate(invalid="ignore", over="ignore"):
        return values.astype(dtype)


@st.composite
def npy_header_rewrites(draw) -> bytes:
    """A .npy file whose header says something other than its data: another dtype, a huge or
    odd shape, Fortran order; sometimes with a wrong header length."""
    data = npy_bytes(np.arange(6, dtype=np.float32).reshape(3, 2))
    header_len = int.from_bytes(data[8:10], "little")
    body = data[10 + header_len:]
    descr, shape = draw(st.sampled_from(HEADER_DESCRS)), draw(st.sampled_from(HEADER_SHAPES))
    fortran = draw(st.sampled_from(["False", "True", "0", "'x'"]))
    header = f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}"
    return npy_with_header(header, draw(st.sampled_from([body, body[:7], body * 3, b""])),
                           draw(st.sampled_from([b"\x01\x00", b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x09\x00"])),
                           draw(st.sampled_from([0, 0, 0, -1, 1, 1000])))


def npy_with_header(header: str, body: bytes, version: bytes = b"\x01\x00", length_error: int = 0) -> bytes:
    """A .npy file with this header text (padded as np.save pads it) and body."""
    text = header.encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    size = (len(text) + length_error).to_bytes(4 if version != b"\x01\x00" else 2, "little", signed=True)
    return b"\x93NUMPY" + version + size + text + body


FLOATS_3x2 = np.arange(6, dtype=np.float32).tobytes()
FOUND = {  # files that broke a loader once, kept as explicit examples
    "huge shape": npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3000000000000, 2), }",
                                  FLOATS_3x2),
    "NUL in header": npy_with_header("{'descr': '<f4'\x00, 'fortran_order': False, 'shape': (3, 2), }", FLOATS_3x2),
    "open bracket": npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2, }", FLOATS_3x2),
}


def npy_files():
    valid = arrays().map(npy_bytes)
    return st.one_of(valid, valid.flatmap(mutated), npy_header_rewrites(), random_bytes())


@settings(**FUZZ, max_examples=400)
@given(x=npy_files(), y=st.none() | npy_files())
@example(x=FOUND["huge shape"], y=None)
@example(x=npy_bytes(np.ones((3, 2))), y=FOUND["NUL in header"])
@example(x=FOUND["open bracket"], y=None)
def test_npy_files_load_or_raise_data_error(folder, x, y):
    (folder / "x.npy").write_bytes(x)
    labels = None
    if y is not None:
        labels = folder / "y.npy"
        labels.write_bytes(y)
    check_dataset(outcome("npy", load_npy, folder / "x.npy", labels))
    check_dataset(outcome("npy via load_data", load_data, folder / "x.npy", labels))


# -- .npz archives ----------------------------------------------------------------------------
@st.composite
def npz_files(draw) -> bytes:
    """A valid archive (x and y, or odd members), an archive whose members are damaged or
    rewritten .npy files, a byte-mutated archive, or random bytes."""
    kind = draw(st.sampled_from(["valid", "members", "mutated", "random"]))
    if kind == "random":
        return draw(random_bytes())
    rows = draw(st.integers(1, 5))
    members = {"x": npy_bytes(draw(arrays(rows)))}
    if draw(st.booleans()):
        members["y"] = npy_bytes(draw(arrays(rows if draw(st.integers(0, 4)) else rows + 1)))
    if draw(st.integers(0, 4)) == 0:
        members[draw(st.sampled_from(["z", "X", "x/../y", ""]))] = npy_bytes(np.zeros(2))
    if kind == "members":
        name = draw(st.sampled_from(sorted(members)))
        members[name] = draw(npy_header_rewrites() | mutated(members[name]) | random_bytes())
    buffer = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)
    data = buffer.getvalue()
    return draw(mutated(data)) if kind == "mutated" else data


@settings(**FUZZ, max_examples=400)
@given(data=npz_files())
@example(data=_zip({"x.npy": b"not an array"}))
@example(data=_zip({"x.npy": FOUND["huge shape"]}))
@example(data=_zip({"x.npy": npy_bytes(np.ones((3, 2))), "y.npy": FOUND["NUL in header"]}))
def test_npz_files_load_or_raise_data_error(folder, data):
    (folder / "data.npz").write_bytes(data)
    check_dataset(outcome("npz", load_npz, folder / "data.npz"))
    check_dataset(outcome("npz via load_data", load_data, folder / "data.npz"))


# -- CSV files --------------------------------------------------------------------------------
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["", "NA", "nan", "?", "cat", "dog", " 1 ", "1e39", "-0", '"3"', "1,5", "0x10", "½", "\t"]),
)


@st.composite
def csv_texts(draw) -> bytes:
    columns = draw(st.integers(1, 5))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    labelled = draw(st.booleans())
    lines = []
    if draw(st.booleans()):
        lines.append(delimiter.join(f"c{j}" for j in range(columns)))
    for _ in range(draw(st.integers(0, 12))):
        cells = [repr(draw(st.floats(-100, 100))) for _ in range(columns - labelled)]
        if labelled:
            cells.append(draw(st.sampled_from(["a", "b", "c"])))
        if draw(st.integers(0, 9)) == 0:
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELLS)
        lines.append(delimiter.join(cells))
    return (newline.join(lines) + draw(st.sampled_from(["", newline]))).encode("utf-8")


def csv_files():
    valid = csv_texts()
    return st.one_of(valid, valid.flatmap(mutated), random_bytes(),
                     st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))


TARGETS = st.sampled_from([-1, 0, 1, 4, 99, -99, None, "c0", "c2", "nope", "3", "-1", True, 1.5, ""])


@settings(**FUZZ, max_examples=400)
@given(data=csv_files(), target=TARGETS, header=st.sampled_from([None, True, False]),
       drop_invalid=st.booleans(), standardize=st.booleans(), chunk_rows=st.sampled_from([1, 3, 65536]))
@example(data=b"a,b\n1,2\n3,1e39\n", target=-1, header=None, drop_invalid=False, standardize=False, chunk_rows=3)
def test_csv_files_load_or_raise_data_error(folder, data, target, header, drop_invalid, standardize, chunk_rows):
    path = folder / "data.csv"
    path.write_bytes(data)
    check_dataset(outcome("csv", load_csv, path, target, header=header, drop_invalid=drop_invalid,
                          standardize=standardize, chunk_rows=chunk_rows))
    check_dataset(outcome("csv via load_data", load_data, path, target=target, drop_invalid=drop_invalid))


# -- JSON mutations (projects and saved models) -----------------------------------------------
ODD_NUMBERS = st.sampled_from([0, -1, 1, 2, 2**31, 2**63, 10**6, -10**9, 10**30, 0.5, -0.0, 1e308,
                               float("nan"), float("inf"), True, False])
ODD_STRINGS = st.sampled_from(["", "Dense", "Conv2D", "LSTM", "relu", "valid", "same", "adam", "mse", "accuracy",
                               "x" * 300, "../../etc/passwd", "__import__('os')", "bundled:digits", "\x00"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | ODD_NUMBERS | st.integers() | st.floats() | ODD_STRINGS | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | ODD_STRINGS, inner,
                                                                max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


def _replace(value, path, new):
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


@st.composite
def mutated_json(draw, document):
    """A deep copy of a JSON document with 1 to 3 fields replaced, deleted, added or nudged.

    Each edit first picks a section (a path at most two deep), then a field inside it, so small
    sections (compile settings) are edited as often as the long list of layers."""
    document = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(document))
        section = draw(st.sampled_from([path for path in paths if len(path) <= 2]))
        path = draw(st.sampled_from([path for path in paths if path[:len(section)] == section]))
        edit = draw(st.sampled_from(["replace", "replace", "delete", "add", "neighbour"]))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if edit == "delete" and path:
            del parent[path[-1]]
        elif edit == "add":
            target = parent[path[-1]] if path else document
            if isinstance(target, dict):
                target[draw(ODD_STRINGS | st.text(max_size=6))] = draw(JSON_VALUES)
            elif isinstance(target, list):
                target.insert(draw(st.integers(0, len(target))), draw(JSON_VALUES))
        elif edit == "neighbour":
            old = parent[path[-1]] if path else document
            if isinstance(old, bool) or not isinstance(old, (int, float)):
                continue
            document = _replace(document, path, old + draw(st.sampled_from([-1, 1, -old, old * 1000, 0.5])))
        else:
            document = _replace(document, path, draw(JSON_VALUES))
    return document


# -- project files ----------------------------------------------------------------------------
def _project_documents(tmp: Path) -> list[tuple[str, bytes | None]]:
    """(project JSON, weights .npz bytes or None) for every template; the small ones (up to
    100,000 parameters) with their weights, so mutating a file stays quick."""
    documents = []
    for name in TEMPLATES:
        project = new_project(name)
        if project.model.count_params() <= 100_000:
            project.model.build()
        path = tmp / f"{name}.json"
        save_project(project, path)
        stored = path.with_name(f"{name}.weights.npz")
        documents.append((path.read_text(), stored.read_bytes() if stored.exists() else None))
    return documents


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    return Originals(_project_documents(tmp_path_factory.mktemp("projects")))


@st.composite
def rewritten_npz(draw, original: bytes) -> bytes:
    """The archive with the same array names, one or more arrays replaced by random ones
    (other shapes and dtypes, NaN) or by damaged .npy bytes."""
    members = _members(original)
    for name in draw(st.lists(st.sampled_from(sorted(members)), min_size=1, max_size=3, unique=True)):
        members[name] = draw(arrays().map(npy_bytes) | npy_header_rewrites() | mutated(members[name]))
    return _zip(members)


def _weights_variant(draw, weights: bytes | None) -> bytes | None:
    choice = draw(st.sampled_from(["same", "same", "none", "mutated", "rewritten", "other"]))
    if choice == "other" or (weights is None and choice != "none"):
        return draw(npz_files())
    return {"same": weights, "none": None, "mutated": draw(mutated(weights)) if weights else None,
            "rewritten": draw(rewritten_npz(weights)) if weights else None}[choice]


@settings(**FUZZ, max_examples=300)
@given(data=st.data())
def test_project_files_load_or_raise_seqstudio_error(folder, projects, data):
    text, weights = data.draw(st.sampled_from(projects))
    mode = data.draw(st.sampled_from(["json", "json", "bytes", "random"]))
    if mode == "json":
        content = json.dumps(data.draw(mutated_json(json.loads(text)))).encode()
    elif mode == "bytes":
        content = data.draw(mutated(text.encode()))
    else:
        content = data.draw(random_bytes())
    path = folder / "project.json"
    path.write_bytes(content)
    stored = folder / "project.weights.npz"
    stored.unlink(missing_ok=True)
    weights = _weights_variant(data.draw, weights)
    if weights is not None:
        stored.write_bytes(weights)
    project = outcome("project", load_project, path, allowed=SeqStudioError)
    if project is not None:
        project.model.shape_rows()
        project.model.summary(print_fn=lambda line: None)


# -- saved models -----------------------------------------------------------------------------
def _saved_models(tmp: Path) -> list[bytes]:
    rng = np.random.default_rng(0)
    models = [
        (Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dropout(0.5),
                     layers.Dense(2, activation="softmax")]), "adam", "categorical_crossentropy", (3,), (2,)),
        (Sequential([layers.Conv1D(2, 3, input_shape=(6, 2)), layers.MaxPooling1D(), layers.Flatten(),
                     layers.Dense(1)]), "sgd", "mse", (6, 2), (1,)),
        (Sequential([layers.Embedding(5, 3, input_shape=(4,)), layers.GRU(2), layers.BatchNormalization(),
                     layers.Dense(1, activation="sigmoid")]), "rmsprop", "binary_crossentropy", (4,), (1,)),
        (Sequential([layers.LSTM(2, input_shape=(3, 2), return_sequences=True), layers.LayerNormalization(),
                     layers.GlobalAveragePooling1D()]), None, None, (3, 2), (2,)),
    ]
    saved = []
    for i, (model, optimizer, loss, x_shape, y_shape) in enumerate(models):
        if optimizer is not None:
            model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"] if i == 0 else ["mae"])
            x = rng.integers(0, 5, (4, *x_shape)).astype(np.float32)
            y = np.eye(2, dtype=np.float32)[[0, 1, 0, 1]] if i == 0 else rng.random((4, *y_shape)).round()
            model.fit(x, y, epochs=1, batch_size=2, verbose=0)
        path = tmp / f"model{i}.seqstudio"
        model.save(path)
        saved.append(path.read_bytes())
    return saved


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    return Originals(_saved_models(tmp_path_factory.mktemp("models")))


@settings(**FUZZ, max_examples=300)
@given(data=st.data())
def test_saved_models_load_or_raise_seqstudio_error(folder, saved_models, data):
    original = data.draw(st.sampled_from(saved_models))
    mode = data.draw(st.sampled_from(["config", "config", "config", "weights", "optimizer", "members", "bytes",
                                      "random"]))
    members = _members(original)
    if mode == "config":
        members["model.json"] = json.dumps(data.draw(mutated_json(json.loads(members["model.json"])))).encode()
    elif mode in ("weights", "optimizer") and f"{mode}.npz" in members:
        original_npz = members[f"{mode}.npz"]
        members[f"{mode}.npz"] = data.draw(rewritten_npz(original_npz) | mutated(original_npz) | npz_files())
    elif mode == "members":
        del members[data.draw(st.sampled_from(sorted(members)))]
    content = {"bytes": lambda: data.draw(mutated(original)), "random": lambda: data.draw(random_bytes())}.get(
        mode, lambda: _zip(members))()
    path = folder / "model.seqstudio"
    path.write_bytes(content)
    model = outcome("saved model", load_model, path, allowed=SeqStudioError)
    if model is not None:
        model.summary(print_fn=lambda line: None)


# -- imported Keras code ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def keras_scripts():
    """SeqStudio's own Keras exports of every template: Python that the importer reads."""
    from builder.export import export_text

    return Originals(export_text(new_project(name), "keras") for name in TEMPLATES)


ODD_LITERALS = ["0", "-1", "1e400", "10**100", "None", "'a'", "[1]", "2**63", "1.5", "True", "(1, 2)", "{}", "n"]
ODD_LINES = ["", "x = 1/0", "model = Sequential()", "model.add(layers.Dense(10**30))", "model.add(layers.Dense(-1))",
             "model.compile(loss=5)", "model.fit(x, y, epochs='a')", "model.add(layers.Reshape((0,)))",
             "model.add(layers.Dense(3, input_shape=5))", "model.add(layers.Dense(3, **{'units': 2}))",
             "model.add(layers.Dense(*[3]))", "import keras as tf", "del model", "model.add(model)"]


@settings(**FUZZ, max_examples=300)
@given(data=st.data())
def test_imported_keras_code_reads_or_raises_seqstudio_error(keras_scripts, data):
    source = data.draw(st.sampled_from(keras_scripts))
    mode = data.draw(st.sampled_from(["bytes", "line", "literal"]))
    if mode == "bytes":
        source = data.draw(mutated(source.encode())).decode("utf-8", "replace")
    elif mode == "line":
        lines = source.splitlines()
        replacement = data.draw(st.sampled_from(ODD_LINES) | st.sampled_from(lines))
        lines[data.draw(st.integers(0, len(lines) - 1))] = replacement
        source = "\n".join(lines)
    else:
        numbers = list(re.finditer(r"\b\d+(\.\d+)?\b", source))
        found = data.draw(st.sampled_from(numbers))
        source = source[:found.start()] + data.draw(st.sampled_from(ODD_LITERALS)) + source[found.end():]
    project = outcome("keras script", import_keras_code, source, "model.py", allowed=SeqStudioError)
    if project is not None:
        project.model.shape_rows()


@pytest.mark.parametrize("source", ["x = 1\x00\n", 'x = "\udcff"\n'])
def test_sources_that_escaped_once_raise_config_error(source):
    """A NUL byte (a SyntaxError without a line, or a ValueError on older Pythons) and a lone
    surrogate."""
    with pytest.raises(ConfigError, match="model.py: not valid Python"):
        import_keras_code(source, "model.py")
