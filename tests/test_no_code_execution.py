"""Nothing SeqStudio reads executes code.

A static audit of builder/, kernels/ and ui/ (their syntax trees, so strings and comments do not
count): no pickle-family module, no eval/exec/compile/__import__, no NumPy load that allows
pickles or leaves it unsaid, no module imported by a computed name outside two reviewed
places, no shell. Then the behaviour: files that carry a live pickle payload (it touches a
marker file when unpickled) are refused by every loader, and the marker never appears.
"""

from __future__ import annotations

import ast
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from builder import ConfigError, DataError, SeqStudioError, Sequential, layers, load_model
from builder.data import load_csv, load_data, load_npy, load_npz
from builder.importer import import_keras_file
from builder.project import load_project, new_project, save_project, weights_path

ROOT = Path(__file__).resolve().parents[1]
AUDITED = ("builder", "kernels", "ui")

UNSAFE_MODULES = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill", "joblib", "shelve", "marshal", "yaml",
                  "jsonpickle", "runpy", "code"}
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__", "execfile"}
NUMPY_NAMES = {"np", "numpy"}
COMPUTED_IMPORTS_REVIEWED = {
    # module names from a fixed table of builder's own modules (lazy attributes)
    "builder/__init__.py",
    # module names from pkgutil over builder/layers/ itself (registers every layer family)
    "builder/layers/__init__.py",
}


# -- the static audit ------------------------------------------------------------------------
def _dotted(node: ast.AST) -> str:
    """'np.lib.format.read_array' for the expression a call is made on ('' when computed)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _bound_names(tree: ast.Module) -> set[str]:
    """Names a module defines or imports itself (a local `compile` is not the builtin)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def audit(source: str, relative: str) -> list[str]:
    """Every construct in `source` that could run code from a file, as 'path:line: what'."""
    tree = ast.parse(source)
    bound = _bound_names(tree)
    findings = []

    def flag(node, what):
        findings.append(f"{relative}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in UNSAFE_MODULES:
                    flag(node, f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root in UNSAFE_MODULES:
                flag(node, f"imports from {node.module}")
            if root == "numpy" and any(alias.name == "load" for alias in node.names):
                flag(node, "imports numpy's load under another name")
            if root == "builtins" and any(alias.name in UNSAFE_BUILTINS for alias in node.names):
                flag(node, "imports an unsafe builtin")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if isinstance(node.func, ast.Name) and name in UNSAFE_BUILTINS and name not in bound:
                flag(node, f"calls {name}()")
            if name.startswith("builtins.") and name.split(".")[-1] in UNSAFE_BUILTINS:
                flag(node, f"calls {name}()")
            if "allow_pickle" in keywords and not _is_false(keywords["allow_pickle"]):
                flag(node, f"{name or 'a call'} with allow_pickle other than False")
            loads_numpy = (name.split(".")[0] in NUMPY_NAMES and name.endswith(".load")) or name.endswith(
                "format.read_array")
            if loads_numpy and "allow_pickle" not in keywords:
                flag(node, f"{name}() without allow_pickle=False")
            if name.endswith("import_module") and node.args and not isinstance(node.args[0], ast.Constant) \
                    and relative not in COMPUTED_IMPORTS_REVIEWED:
                flag(node, "imports a module by a computed name")
            if name in ("os.system", "os.popen") or name.startswith("os.exec") or name.startswith("os.spawn"):
                flag(node, f"runs a command through {name}()")
            if "shell" in keywords and not _is_false(keywords["shell"]):
                flag(node, f"{name}() with shell")
    return findings


def audited_files() -> list[Path]:
    return sorted(path for root in AUDITED for path in (ROOT / root).rglob("*.py"))


def test_the_audit_covers_every_package():
    counted = {root: sum(1 for path in audited_files() if path.relative_to(ROOT).parts[0] == root) for root in AUDITED}
    assert all(counted.values()), counted


def test_no_source_file_can_run_code_from_a_file():
    findings = []
    for path in audited_files():
        findings += audit(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not findings, "\n".join(findings)


FORBIDDEN = [
    "import pickle",
    "import pickle as p",
    "from pickle import loads",
    "import marshal",
    "import shelve",
    "from yaml import load",
    "import dill",
    "eval(text)",
    "exec(code)",
    "compile(src, 'f', 'exec')",
    "__import__(name)",
    "builtins.exec(code)",
    "from builtins import eval",
    "np.load(path)",
    "np.load(path, allow_pickle=True)",
    "numpy.load(path, allow_pickle=flag)",
    "np.lib.format.read_array(f)",
    "from numpy import load",
    "importlib.import_module(user_name)",
    "os.system(command)",
    "os.popen(command)",
    "os.execv(program, args)",
    "subprocess.run(command, shell=True)",
]
ALLOWED = [
    "dialog.exec()",
    "menu.exec(point)",
    "app.exec()",
    "ast.literal_eval(text)",
    "model.eval()",
    "model.compile(optimizer, loss)",
    "np.load(path, allow_pickle=False)",
    "np.save(buffer, array)",
    "npy_format.read_array(stream, allow_pickle=False)",
    "importlib.import_module('numba.cuda')",
    "subprocess.run([sys.executable, '-m', 'ui.bench'], capture_output=True)",
    "def compile(x):\n    return x\ncompile(1)",
    "text = 'eval(x) exec(y) pickle.loads(z)'",
    "json.loads(text)",
]


@pytest.mark.parametrize("source", FORBIDDEN)
def test_the_audit_finds_each_forbidden_construct(source):
    assert audit(source, "example.py"), source


@pytest.mark.parametrize("source", ALLOWED)
def test_the_audit_leaves_harmless_lookalikes_alone(source):
    assert audit(source, "example.py") == []


# -- behaviour: live payloads are refused -----------------------------------------------------
class Payload:
    """Unpickling this calls Path.touch on the marker: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / "code-ran"
    yield path
    assert not path.exists(), "a loader executed the pickled payload"


def evil_npy(marker: Path) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload(marker), 1], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def npz_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)
    return buffer.getvalue()


def plain_npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array))
    return buffer.getvalue()


def test_the_payload_is_live(tmp_path):
    """The control: NumPy told to allow pickles runs the payload, so refusing it matters."""
    target = tmp_path / "control"
    (tmp_path / "evil.npy").write_bytes(evil_npy(target))
    np.load(tmp_path / "evil.npy", allow_pickle=True)
    assert target.exists()


def test_pickles_in_npy_files_are_refused(tmp_path, marker):
    evil, good = tmp_path / "evil.npy", tmp_path / "good.npy"
    evil.write_bytes(evil_npy(marker))
    good.write_bytes(plain_npy(np.ones((2, 3))))
    for attempt in (lambda: load_npy(evil), lambda: load_npy(good, evil), lambda: load_data(evil),
                    lambda: load_data(good, labels=evil)):
        with pytest.raises(DataError, match="pickled Python objects"):
            attempt()


@pytest.mark.parametrize("member", ["x", "y"])
def test_pickles_in_npz_archives_are_refused(tmp_path, marker, member):
    members = {"x": plain_npy(np.ones((2, 3))), "y": plain_npy([0, 1])}
    members[member] = evil_npy(marker)
    path = tmp_path / "evil.npz"
    path.write_bytes(npz_of(members))
    for load in (load_npz, load_data):
        with pytest.raises(DataError, match="pickled Python objects"):
            load(path)


def test_pickles_in_project_weights_are_refused(tmp_path, marker):
    project = new_project("digits")
    project.model.build()
    path = tmp_path / "evil.json"
    save_project(project, path)
    with zipfile.ZipFile(weights_path(path)) as archive:
        members = {name[:-4]: archive.read(name) for name in archive.namelist()}
    members[next(iter(members))] = evil_npy(marker)
    weights_path(path).write_bytes(npz_of(members))
    with pytest.raises(ConfigError, match="pickled Python objects"):
        load_project(path)


@pytest.mark.parametrize("member", ["weights.npz", "optimizer.npz"])
def test_pickles_in_saved_models_are_refused(tmp_path, marker, member):
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    path = tmp_path / "evil.seqstudio"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(io.BytesIO(members[member])) as inner:
        arrays = {name[:-4]: inner.read(name) for name in inner.namelist()}
    arrays[sorted(arrays)[-1]] = evil_npy(marker)
    members[member] = npz_of(arrays)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(SeqStudioError, match="pickled Python objects"):
        load_model(path)


@pytest.mark.parametrize("suffix, load, error", [
    (".npy", load_npy, DataError), (".npz", load_npz, DataError), (".csv", load_csv, DataError),
    (".seqstudio", load_model, SeqStudioError), (".json", load_project, SeqStudioError),
])
def test_a_bare_pickle_under_any_name_is_refused(tmp_path, marker, suffix, load, error):
    path = tmp_path / f"evil{suffix}"
    path.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(error):
        load(path)


def test_project_files_never_evaluate_their_strings(tmp_path, marker):
    project = new_project("digits")
    path = tmp_path / "p.json"
    save_project(project, path)
    d = json.loads(path.read_text())
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    d["name"], d["description"], d["layers"][0]["config"]["activation"] = "p", code, code
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError, match="activation"):
        load_project(path)


def test_imported_keras_code_is_parsed_never_run(tmp_path, marker):
    source = tmp_path / "model.py"
    source.write_text(
        "import pathlib\n"
        "from keras import Sequential, layers\n"
        f"pathlib.Path({str(marker)!r}).touch()\n"
        f"__import__('os').system('touch {marker}')\n"
        "model = Sequential([layers.Dense(4, activation='relu', input_shape=(3,)), layers.Dense(1)])\n"
        "model.compile(optimizer='adam', loss='mse')\n"
    )
    project = import_keras_file(source)
    assert [layer.class_name for layer in project.model.layers] == ["Dense", "Dense"]
