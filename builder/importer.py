"""Read a Keras Sequential model written in Python into a project, with `ast`: the code is parsed,
never executed.

What is read: the imports (so that `Dense`, `layers.Dense`, `keras.layers.Dense` and
`tf.keras.layers.Dense` all resolve), one `Sequential([...])` (or `Sequential()` then
`model.add(...)`) whose layers have literal arguments, an optional `keras.Input(...)`, the
`compile` call (an optimizer by name or built from literals, possibly through a variable, as in
`sgd = SGD(lr=0.01)`), the `fit` call's epochs, batch size, shuffle and validation split, and
the data constants SeqStudio's own exports write (DATA_FILE, TARGET, VALIDATION_SPLIT ...).
Names bound once, at module level, to a literal (`timesteps = 8`) count as literals.

Everything else about the model is refused rather than guessed: the error names the file, the
line and the construct: "model.py:12: cannot read `layers.Dense(units=n)`: units must be a
literal". Code that does not touch the model (data preparation, printing) is skipped.
"""

from __future__ import annotations

import ast
import operator
from pathlib import Path

from .errors import ConfigError, SeqStudioError, ShapeError

_KERAS_ROOTS = ("keras", "tensorflow", "tf_keras", "builder")
_IGNORED_METHODS = frozenset({
    "summary", "evaluate", "predict", "predict_on_batch", "test_on_batch", "save", "save_weights",
    "load_weights", "get_weights", "set_weights", "to_json", "get_config", "reset_states", "count_params",
    "get_layer", "build",
})
_FIT_IGNORED = frozenset({"x", "y", "verbose", "callbacks", "validation_data"})
_DATA_CONSTANTS = {"DATA_FILE": "path", "LABELS_FILE": "labels_path", "TARGET": "target",
                   "VALIDATION_FILE": "validation_path", "VALIDATION_SPLIT": "validation_split",
                   "STANDARDIZE": "standardize"}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_MAIN_GUARDS = ("__name__ == '__main__'", "'__main__' == __name__")
"""`if __name__ == "__main__":` runs once when the script runs: a model built under it is read."""
_CONDITIONAL = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.Try, ast.ListComp, ast.SetComp, ast.DictComp,
                ast.GeneratorExp, ast.Lambda, ast.IfExp)


class _Unreadable(Exception):
    """Why a node cannot be read; turned into a ConfigError naming line and construct."""

    def __init__(self, node: ast.AST, why: str):
        super().__init__(why)
        self.node, self.why = node, why


def import_keras_file(path) -> "Project":  # noqa: F821  (builder.project.Project)
    """The project the Keras model in the Python file at `path` describes."""
    path = Path(path)
    try:
        source = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise SeqStudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SeqStudioError(f"{path}: is a folder, not a Python file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a Python file (not UTF-8 text)") from None
    return import_keras_code(source, path.name)


def import_keras_code(source: str, filename: str = "model.py"):
    """The project the Keras model in `source` describes (see the module's docstring)."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as err:
        where = f"{filename}:{err.lineno}" if err.lineno else filename  # no line for NUL bytes
        raise ConfigError(f"{where}: not valid Python: {err.msg}") from None
    except ValueError as err:  # lone surrogates in a str source; NUL bytes on older Pythons
        raise ConfigError(f"{filename}: not valid Python: {err}") from None
    reader = _Reader(source, filename, tree)
    try:
        return reader.project()
    except _Unreadable as err:
        raise ConfigError(f"{filename}:{err.node.lineno}: cannot read `{reader.segment(err.node)}`: {err.why}") from None


class _Reader:
    def __init__(self, source: str, filename: str, tree: ast.Module):
        self.source, self.filename, self.tree = source, filename, tree
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.imports = self._imports()
        self.constants = self._constant_nodes()

    # -- what the file binds ---------------------------------------------------------------------
    def _imports(self) -> dict[str, str]:
        """Local name -> the dotted path it stands for."""
        names = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = alias.name
                    else:
                        names[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return names

    def _constant_nodes(self) -> dict[str, ast.AST]:
        """Names bound exactly once in the whole file, by a module-level `NAME = value`."""
        counts: dict[str, int] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                counts[node.id] = counts.get(node.id, 0) + 1
        found = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if counts.get(name) == 1:
                    found[name] = node.value
        return found

    def segment(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.source, node) or ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= 80 else text[:77] + "..."

    def dotted(self, node: ast.AST) -> str | None:
        """`layers.Dense` -> "keras.layers.Dense" through the imports; None for other nodes."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def kind(self, call: ast.Call) -> tuple[str, str] | None:
        """("layer"|"sequential"|"input"|"optimizer"|"schedule"|"loss", class name) for calls
        into Keras (or SeqStudio's builder), else None."""
        path = self.dotted(call.func)
        if path is None or "." not in path:
            return None
        module, name = path.rsplit(".", 1)
        if module.split(".")[0] not in _KERAS_ROOTS:
            return None
        parts = module.split(".")
        if name == "Sequential":
            return "sequential", name
        if name in ("Input", "InputLayer"):
            return "input", name
        if "schedules" in parts:
            return "schedule", name
        for part, kind in (("layers", "layer"), ("optimizers", "optimizer"), ("losses", "loss")):
            if part in parts:
                return kind, name
        return None

    # -- literals ------------------------------------------------------------------------------
    def literal(self, node: ast.AST, what: str, seen: frozenset = frozenset()):
        """The value of a literal expression (constants, tuples, lists, arithmetic, names bound
        once to literals); _Unreadable saying `what` must be a literal otherwise."""
        if isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, type(Ellipsis))):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            values = [self.literal(item, what, seen) for item in node.elts]
            return tuple(values) if isinstance(node, ast.Tuple) else values
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.literal(node.operand, what, seen)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.literal(node.left, what, seen), self.literal(node.right, what, seen)
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
                try:
                    return _BINARY[type(node.op)](left, right)
                except (ArithmeticError, ValueError):
                    pass
        if isinstance(node, ast.Name) and node.id in self.constants and node.id not in seen:
            return self.literal(self.constants[node.id], what, seen | {node.id})
        raise _Unreadable(node, f"{what} must be a literal")

    def arguments(self, call: ast.Call, what: str) -> tuple[list, dict]:
        if any(isinstance(arg, ast.Starred) for arg in call.args) or any(kw.arg is None for kw in call.keywords):
            raise _Unreadable(call, f"{what} takes no *args or **kwargs here")
        try:
            args = [self.literal(arg, f"argument {i + 1}") for i, arg in enumerate(call.args)]
            kwargs = {kw.arg: self.literal(kw.value, kw.arg) for kw in call.keywords}
        except _Unreadable as err:  # name the whole call: `layers.Dense(units=n)`
            raise _Unreadable(call, err.why) from None
        return args, kwargs

    def _guarded(self, node: ast.AST) -> None:
        """Refuse a model statement that runs conditionally or repeatedly."""
        parent = self.parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.If) and ast.unparse(parent.test) in _MAIN_GUARDS:
                parent = self.parents.get(parent)
                continue
            if isinstance(parent, _CONDITIONAL):
                raise _Unreadable(node, "it runs inside a loop, condition or try block: the model must not depend "
                                        "on how the code runs")
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return
            parent = self.parents.get(parent)

    def _enclosing_function(self, node: ast.AST) -> str | None:
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parent = self.parents.get(parent)
        return None if parent is None else parent.name

    # -- the model -----------------------------------------------------------------------------
    def _model_assignment(self) -> tuple[str, ast.Call]:
        found = [
            (node.targets[0].id, node.value)
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call) and self.kind(node.value) == ("sequential", "Sequential")
        ]
        if not found:
            raise ConfigError(f"{self.filename}: no Keras Sequential model found: expected `model = Sequential(...)`")
        if len(found) > 1:
            lines = ", ".join(str(call.lineno) for _, call in found)
            raise ConfigError(f"{self.filename}: {len(found)} Sequential models (lines {lines}); keep one per file")
        return found[0]

    def _method_calls(self, variable: str, builder: str | None) -> list[tuple[str, ast.Call]]:
        """`variable.method(...)` calls in source order; assignments to its attributes refused,
        and assignments to the variable itself unless from the function `builder` that builds
        the model (as in `model = build_model()`)."""
        calls = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == variable:
                if isinstance(node.ctx, ast.Store):
                    raise _Unreadable(node, f"{variable}'s attributes are set in code")
                parent = self.parents.get(node)
                if isinstance(parent, ast.Call) and parent.func is node:
                    calls.append((node.attr, parent))
            elif isinstance(node, ast.Name) and node.id == variable and isinstance(node.ctx, ast.Store):
                assigned = self.parents.get(node)
                value = getattr(assigned, "value", None)
                builds = isinstance(value, ast.Call) and (
                    self.kind(value) == ("sequential", "Sequential")
                    or (isinstance(value.func, ast.Name) and value.func.id == builder))
                if not builds:
                    raise _Unreadable(assigned or node, f"{variable} is assigned something other than the model")
        return sorted(calls, key=lambda item: (item[1].lineno, item[1].col_offset))

    def project(self):
        from .project import CompileSettings, DataSettings, Project
        from .sequential import Sequential

        variable, constructor = self._model_assignment()
        self._guarded(constructor)
        args, kwargs = constructor.args, {kw.arg: kw.value for kw in constructor.keywords}
        items = args[0] if args else kwargs.pop("layers", None)
        name = self.literal(kwargs.pop("name"), "name") if "name" in kwargs else Path(self.filename).stem
        for key, value in kwargs.items():
            raise _Unreadable(value, f"Sequential takes layers and name here, not {key}")
        model = Sequential(name=name)
        model_inputs: list = []
        if items is not None:
            if not isinstance(items, (ast.List, ast.Tuple)):
                raise _Unreadable(items, "the layers must be written as a list")
            for item in items.elts:
                self._add(model, item, model_inputs)
        settings, data = CompileSettings(), DataSettings()
        for method, call in self._method_calls(variable, self._enclosing_function(constructor)):
            if method == "add":
                self._guarded(call)
                if len(call.args) != 1 or call.keywords:
                    raise _Unreadable(call, "add takes one layer")
                self._add(model, call.args[0], model_inputs)
            elif method == "compile":
                self._guarded(call)
                self._compile(call, settings)
            elif method == "fit":
                self._guarded(call)
                self._fit(call, settings, data)
            elif method not in _IGNORED_METHODS:
                raise _Unreadable(call, f"SeqStudio does not know what {method}() does to the model")
        if not model.layers:
            raise ConfigError(f"{self.filename}: the Sequential model at line {constructor.lineno} has no layers")
        self._data_constants(data)
        self._seed(settings)
        return Project(model=model, compile=settings, data=data)

    def _add(self, model, node: ast.AST, model_inputs: list) -> None:
        from .catalog import layer_class

        if not isinstance(node, ast.Call) or self.kind(node) is None or self.kind(node)[0] not in ("layer", "input"):
            raise _Unreadable(node, "expected a Keras layer such as layers.Dense(...)")
        kind, name = self.kind(node)
        args, kwargs = self.arguments(node, name)
        if kind == "input" or name == "InputLayer":
            if model.layers or model_inputs:
                raise _Unreadable(node, "the input must come first")
            model_inputs.append(self._input_shape(node, args, kwargs))
            model.set_input_shape(model_inputs[0])
            return
        try:
            cls = layer_class(name)
        except ConfigError:
            raise _Unreadable(node, f"SeqStudio has no {name} layer") from None
        try:
            model.add(cls(*args, **kwargs))
        except (ConfigError, ShapeError) as err:
            raise _Unreadable(node, str(err)) from None

    def _input_shape(self, node, args, kwargs) -> tuple:
        kwargs = dict(kwargs)
        shape = kwargs.pop("shape", kwargs.pop("input_shape", args[0] if args else None))
        batch_shape = kwargs.pop("batch_shape", kwargs.pop("batch_input_shape", None))
        batch = kwargs.pop("batch_size", None)
        kwargs.pop("name", None)
        if kwargs or (shape is None) == (batch_shape is None):
            raise _Unreadable(node, "give the input as shape=(...) or batch_shape=(...), and nothing else")
        if batch_shape is not None:
            return tuple(batch_shape)
        dims = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if any(not isinstance(d, int) or d < 1 for d in dims):
            raise _Unreadable(node, "every dimension after the batch must be a positive integer")
        return (batch, *dims)

    # -- compile and fit -------------------------------------------------------------------------
    def _compile(self, call: ast.Call, settings) -> None:
        from . import losses, metrics, optimizers

        names = ("optimizer", "loss", "metrics")
        if len(call.args) > len(names):
            raise _Unreadable(call, "compile takes optimizer, loss and metrics")
        given = dict(zip(names, call.args))
        for kw in call.keywords:
            if kw.arg not in names:
                raise _Unreadable(call, f"SeqStudio keeps optimizer, loss and metrics, not {kw.arg}")
            given[kw.arg] = kw.value
        if "optimizer" in given:
            try:
                settings.optimizer = optimizers.serialize(optimizers.get(self._optimizer(given["optimizer"])))
            except ConfigError as err:
                raise _Unreadable(given["optimizer"], str(err)) from None
        if "loss" not in given:
            raise _Unreadable(call, "compile needs a loss")
        settings.loss = self._loss(given["loss"])
        try:
            losses.get(settings.loss)
        except ConfigError as err:
            raise _Unreadable(given["loss"], str(err)) from None
        listed = self.literal(given["metrics"], "metrics") if "metrics" in given else []
        listed = [listed] if isinstance(listed, str) else listed
        if not isinstance(listed, (list, tuple)) or not all(isinstance(m, str) for m in listed):
            raise _Unreadable(given["metrics"], "metrics must be a list of metric names")
        for metric in listed:
            try:
                metrics.check_identifier(metric)
            except ConfigError as err:
                raise _Unreadable(given["metrics"], str(err)) from None
        settings.metrics = list(listed)

    def _optimizer(self, node: ast.AST):
        """A name, or {"class_name", "config"} read from a constructor call (through a
        variable bound once to it)."""
        if isinstance(node, ast.Name) and node.id in self.constants and isinstance(self.constants[node.id], ast.Call):
            node = self.constants[node.id]
        if isinstance(node, ast.Call):
            kind = self.kind(node)
            if kind is None or kind[0] != "optimizer":
                raise _Unreadable(node, "expected an optimizer such as optimizers.Adam(...)")
            config = self._optimizer_config(node)
            return {"class_name": kind[1], "config": config}
        return self.literal(node, "optimizer")

    def _optimizer_config(self, call: ast.Call) -> dict:
        from .optimizers import OPTIMIZERS

        kind = self.kind(call)[1]
        cls = OPTIMIZERS.get(kind.lower())
        if cls is None:
            raise _Unreadable(call, f"SeqStudio has no {kind} optimizer")
        config = dict(zip((p.name for p in cls.PARAMS), (self.literal(a, "argument") for a in call.args)))
        for kw in call.keywords:
            if kw.arg is None:
                raise _Unreadable(call, "optimizer arguments must be written out")
            if kw.arg == "learning_rate" and isinstance(kw.value, ast.Call):
                config.update(self._schedule(kw.value))
            else:
                config[kw.arg] = self.literal(kw.value, kw.arg)
        return config

    def _schedule(self, call: ast.Call) -> dict:
        """Keras 3's InverseTimeDecay is the legacy decay: lr / (1 + decay * iterations)."""
        if self.kind(call) != ("schedule", "InverseTimeDecay"):
            raise _Unreadable(call, "the only learning-rate schedule SeqStudio reads is InverseTimeDecay")
        names = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase")
        values = dict(zip(names, (self.literal(a, "argument") for a in call.args)))
        values.update({kw.arg: self.literal(kw.value, kw.arg) for kw in call.keywords})
        if values.get("staircase", False) or set(values) - set(names) or len(values) < 3:
            raise _Unreadable(call, "expected InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate)")
        if not isinstance(values["decay_steps"], (int, float)) or values["decay_steps"] <= 0:
            raise _Unreadable(call, "decay_steps must be a positive number")
        return {"learning_rate": values["initial_learning_rate"], "decay": values["decay_rate"] / values["decay_steps"]}

    def _loss(self, node: ast.AST) -> str:
        from . import losses

        if isinstance(node, ast.Call):
            kind = self.kind(node)
            if kind is None or kind[0] != "loss" or kind[1] not in losses.LOSS_CLASSES:
                raise _Unreadable(node, "expected a loss name or a Keras loss class")
            cls = losses.LOSS_CLASSES[kind[1]]
            _, kwargs = self.arguments(node, kind[1])
            if node.args or any(value != cls().get_config().get(key, object()) for key, value in kwargs.items()):
                raise _Unreadable(node, "a project keeps the loss by name: its settings must be the defaults")
            return cls.name
        path = self.dotted(node)
        if isinstance(node, ast.Attribute) and path and "losses" in path.split("."):
            return node.attr
        value = self.literal(node, "loss")
        if not isinstance(value, str):
            raise _Unreadable(node, "loss must be a name such as 'categorical_crossentropy'")
        return value

    def _fit(self, call: ast.Call, settings, data) -> None:
        names = ("x", "y", "batch_size", "epochs")
        given = dict(zip(names, call.args))
        given.update({kw.arg: kw.value for kw in call.keywords})
        for key, node in given.items():
            if key in _FIT_IGNORED:
                continue
            if key == "epochs":
                settings.epochs = self._whole(node, "epochs", 1)
            elif key == "batch_size":
                settings.batch_size = self._whole(node, "batch_size", 1)
            elif key == "shuffle":
                settings.shuffle = self._flag(node, "shuffle")
            elif key == "validation_split":
                split = self.literal(node, key)
                if isinstance(split, bool) or not isinstance(split, (int, float)) or not 0 <= split < 1:
                    raise _Unreadable(node, "validation_split must be a number from 0 to below 1")
                data.validation_split = float(split)
            else:
                raise _Unreadable(call, f"a project does not keep fit's {key} argument")

    def _whole(self, node, what: str, low: int) -> int:
        value = self.literal(node, what)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise _Unreadable(node, f"{what} must be an integer >= {low}")
        return value

    def _flag(self, node, what: str) -> bool:
        value = self.literal(node, what)
        if not isinstance(value, bool):
            raise _Unreadable(node, f"{what} must be True or False")
        return value

    def _data_constants(self, data) -> None:
        """The data settings SeqStudio's exports write as module constants, where literal."""
        for constant, field in _DATA_CONSTANTS.items():
            node = self.constants.get(constant)
            if node is None:
                continue
            if constant == "DATA_FILE" and self._bundled(node):
                data.path = self._bundled(node)
                continue
            try:
                value = self.literal(node, constant)
            except _Unreadable:
                continue
            if field == "validation_split":
                if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
                    data.validation_split = float(value)
            elif field == "standardize":
                if isinstance(value, bool):
                    data.standardize = value
            elif value is None or isinstance(value, str) or (field == "target" and isinstance(value, int)):
                setattr(data, field, value)

    def _bundled(self, node: ast.AST) -> str | None:
        """"bundled:<name>" for SeqStudio's `bundled_path('<name>')`."""
        path = self.dotted(node.func) if isinstance(node, ast.Call) else None
        if path != "builder.data.bundled_path" or len(node.args) != 1 or node.keywords:
            return None
        name = node.args[0]
        return f"bundled:{name.value}" if isinstance(name, ast.Constant) and isinstance(name.value, str) else None

    def _seed(self, settings) -> None:
        """The SEED constant of SeqStudio's exports, where literal."""
        node = self.constants.get("SEED")
        if node is None:
            return
        try:
            value = self.literal(node, "SEED")
        except _Unreadable:
            return
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            settings.seed = value
