"""Code export: every catalog layer and every template exports to every target; the scripts build
the same model (parameter count, predictions within 1e-4 with the weights) in SeqStudio (in a
subprocess), Keras 3 and PyTorch; nothing in a project can become code."""

import ast
import runpy
import subprocess
import sys

import numpy as np
import pytest

from builder import ConfigError, Sequential, layers, set_random_seed
from builder.catalog import layer_types
from builder.export import TARGETS, export_code, write_export
from builder.export.names import identifier, literal
from builder.project import CompileSettings, DataSettings, Project
from builder.templates import TEMPLATES, build_template
from reference import keras_or_skip, torch_or_skip

# One small case per catalog layer type: (input shape without the batch, config). A new layer
# type fails test_every_catalog_type_has_a_case until it gets one here (and exports).
CASES = {
    "Dense": ((3, 4), {"units": 5, "activation": "tanh", "use_bias": False}),
    "Activation": ((6,), {"activation": "softplus"}),
    "Dropout": ((6,), {"rate": 0.3, "seed": 1}),
    "SpatialDropout1D": ((5, 3), {"rate": 0.2}),
    "SpatialDropout2D": ((4, 4, 3), {"rate": 0.2}),
    "Flatten": ((2, 3, 2), {}),
    "Reshape": ((12,), {"target_shape": (3, -1)}),
    "Permute": ((2, 3, 4), {"dims": (3, 1, 2)}),
    "RepeatVector": ((4,), {"n": 3}),
    "ZeroPadding1D": ((5, 2), {"padding": (1, 2)}),
    "ZeroPadding2D": ((4, 3, 2), {"padding": ((1, 0), (2, 1))}),
    "UpSampling1D": ((3, 2), {"size": 3}),
    "UpSampling2D": ((2, 3, 2), {"size": (2, 1)}),
    "BatchNormalization": ((4, 3), {"momentum": 0.9, "epsilon": 0.01}),
    "LayerNormalization": ((3, 5), {"axis": 1, "center": False}),
    "Embedding": ((4,), {"input_dim": 7, "output_dim": 3}),
    "SimpleRNN": ((4, 3), {"units": 2, "activation": "relu", "go_backwards": True}),
    "LSTM": ((4, 3), {"units": 2, "dropout": 0.2, "return_sequences": True}),
    "GRU": ((4, 3), {"units": 2, "reset_after": False, "use_bias": False}),
    "Conv1D": ((7, 3), {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}),
    "Conv2D": ((6, 5, 2), {"filters": 3, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same"}),
    "MaxPooling1D": ((7, 2), {"pool_size": 3, "padding": "same"}),
    "MaxPooling2D": ((5, 4, 2), {"pool_size": (2, 3), "strides": (1, 2)}),
    "AveragePooling1D": ((6, 2), {"pool_size": 4, "strides": 2, "padding": "same"}),
    "AveragePooling2D": ((5, 5, 1), {"pool_size": 2, "padding": "same"}),
    "GlobalAveragePooling1D": ((4, 3), {"keepdims": True}),
    "GlobalAveragePooling2D": ((3, 4, 2), {}),
    "GlobalMaxPooling1D": ((4, 3), {}),
    "GlobalMaxPooling2D": ((3, 4, 2), {"keepdims": True}),
}

# A model per layer family, for the weight round trips: (input shape, [(class_name, config)]).
FAMILY_MODELS = {
    "core": ((7,), [("Dense", {"units": 6, "activation": "relu", "name": "hidden.1"}), ("Dropout", {"rate": 0.5}),
                    ("Dense", {"units": 4, "activation": "elu"}), ("Activation", {"activation": "swish"}),
                    ("Dense", {"units": 3, "activation": "softmax"})]),
    "reshaping": ((4, 3, 2), [("ZeroPadding2D", {"padding": ((1, 0), (0, 2))}), ("UpSampling2D", {"size": (1, 2)}),
                              ("SpatialDropout2D", {"rate": 0.3}), ("Permute", {"dims": (2, 1, 3)}),
                              ("Reshape", {"target_shape": (10, -1)}), ("ZeroPadding1D", {"padding": (2, 1)}),
                              ("UpSampling1D", {"size": 2}), ("Flatten", {}), ("Dense", {"units": 4}),
                              ("RepeatVector", {"n": 2}), ("Flatten", {}), ("Dense", {"units": 1, "activation": "sigmoid"})]),
    "normalization": ((5, 4), [("BatchNormalization", {"epsilon": 0.01}), ("LayerNormalization", {"scale": False}),
                               ("BatchNormalization", {"axis": 1, "center": False}),
                               ("LayerNormalization", {}), ("Flatten", {}), ("Dense", {"units": 2})]),
    "recurrent": ((6, 3), [("LSTM", {"units": 4, "return_sequences": True, "go_backwards": True, "dropout": 0.3}),
                           ("GRU", {"units": 3, "return_sequences": True}),
                           ("GRU", {"units": 3, "return_sequences": True, "reset_after": False}),
                           ("SimpleRNN", {"units": 3, "return_sequences": True, "activation": "relu"}),
                           ("LSTM", {"units": 3, "return_sequences": True, "recurrent_dropout": 0.2,
                                     "recurrent_activation": "hard_sigmoid"}),
                           ("SimpleRNN", {"units": 2, "use_bias": False}), ("Dense", {"units": 2, "activation": "softmax"})]),
    "convolution": ((9, 8, 2), [("Conv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                                            "activation": "relu"}),
                                ("Conv2D", {"filters": 4, "kernel_size": (2, 3), "dilation_rate": (2, 1), "use_bias": False}),
                                ("Reshape", {"target_shape": (-1, 4)}),
                                ("Conv1D", {"filters": 3, "kernel_size": 2, "padding": "causal", "dilation_rate": 2}),
                                ("Conv1D", {"filters": 2, "kernel_size": 3, "padding": "same", "activation": "tanh"}),
                                ("Flatten", {}), ("Dense", {"units": 2})]),
    "pooling": ((9, 7, 3), [("MaxPooling2D", {"pool_size": 2, "padding": "same"}),
                            ("AveragePooling2D", {"pool_size": 3, "strides": 1, "padding": "same"}),
                            ("MaxPooling2D", {"pool_size": (2, 1)}), ("AveragePooling2D", {"pool_size": 1}),
                            ("GlobalMaxPooling2D", {"keepdims": True}), ("Reshape", {"target_shape": (3, 1)}),
                            ("MaxPooling1D", {"pool_size": 2, "strides": 1, "padding": "same"}),
                            ("AveragePooling1D", {"pool_size": 2, "padding": "same"}),
                            ("GlobalAveragePooling1D", {})]),
    # Keras 3.15's torch backend counts the padding of an uneven "same" average pooling (SeqStudio
    # and TensorFlow do not), so this one is checked against PyTorch only.
    "pooling_uneven": ((5, 4, 2), [("AveragePooling2D", {"pool_size": (2, 3), "strides": 1, "padding": "same"}),
                                   ("Flatten", {})]),
    "embedding": ((5,), [("Embedding", {"input_dim": 9, "output_dim": 4}), ("GRU", {"units": 3, "use_bias": False}),
                         ("Dense", {"units": 1, "activation": "sigmoid"})]),
}


def stack(input_shape, specs, name="exported"):
    from builder.catalog import layer_from_config

    built = [layer_from_config(class_name, dict(config)) for class_name, config in specs]
    model = Sequential(name=name)
    model.set_input_shape((None, *input_shape))
    for layer in built:
        model.add(layer)
    return model


def compiled(model, loss="categorical_crossentropy", optimizer="adam"):
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    model.build()
    return model


def randomize(model, seed=0):
    """Weights far from their initial values (moving variances positive), so layouts matter."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        layer.set_weights([
            rng.uniform(0.5, 1.5, w.shape) if "variance" in w.name else rng.normal(0, 0.5, w.shape)
            for w in layer.weights
        ])
    return model


def parsed(text):
    tree = ast.parse(text)
    compile(tree, "<export>", "exec")
    return tree


# -- coverage ------------------------------------------------------------------------------
def test_every_catalog_type_has_a_case_and_exports_to_every_target():
    names = [t.name for t in layer_types()]
    assert sorted(names) == sorted(CASES), "every catalog layer type needs a case here"
    for name in names:
        shape, config = CASES[name]
        model = compiled(stack(shape, [(name, config), ("Flatten", {}), ("Dense", {"units": 2, "activation": "softmax"})]))
        for target in TARGETS:
            text = export_code(model, target)
            parsed(text)
            assert f"{model.count_params():,} parameters" in text.splitlines()[0]


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_exports_to_every_target(template):
    project = build_template(template)
    for target in TARGETS:
        tree = parsed(export_code(project, target))
        functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert {"build_model", "training_data", "train"} <= functions
        main = tree.body[-1]
        assert isinstance(main, ast.If) and ast.unparse(main.test) == "__name__ == '__main__'"


def test_refusals_name_the_problem():
    model = stack((3,), [("Dense", {"units": 2})])
    with pytest.raises(ConfigError, match="not compiled"):
        export_code(model, "keras")
    with pytest.raises(ConfigError, match="unknown export target 'tensorflow'"):
        export_code(compiled(model), "tensorflow")
    shapeless = Sequential([layers.Dense(2)])
    shapeless.compile(loss="mse")
    with pytest.raises(ConfigError, match="no input shape"):
        export_code(shapeless, "python")
    with pytest.raises(ConfigError, match="ending in .py"):
        write_export(compiled(model), "python", "model.txt")


def test_literals_and_identifiers_stay_data():
    assert literal(("a", 1, 2.5, None, True, [1e-07])) == "('a', 1, 2.5, None, True, [1e-07])"
    assert literal({"k": (1,)}) == "{'k': (1,)}"
    for bad in (float("nan"), object(), {1: 2}, b"bytes"):
        with pytest.raises(ConfigError):
            literal(bad)
    taken = set()
    assert identifier("dense-1.a", taken) == "dense_1_a"
    assert identifier("dense_1.a", taken) == "dense_1_a_2"
    assert identifier("class", taken) == "layer_class"
    assert identifier("3d", taken) == "layer_3d"
    assert identifier('x"; import os #', taken).isidentifier()


# -- nothing becomes code ----------------------------------------------------------------------
PAYLOADS = ['x"; import os; os.system("rm -rf /") #', "x'''\nopen('pwned', 'w')\n'''", 'x"""\nimport os\n"""']


def _model(name, layer_name):
    model = compiled(stack((4,), [("Dense", {"units": 3}), ("Dense", {"units": 2, "activation": "softmax"})], name=name))
    model.layers[0].name = layer_name  # past validation, as no file can: export must still cope
    return model


def _project(name, path, target):
    settings = CompileSettings(loss="categorical_crossentropy", metrics=["accuracy"], epochs=1)
    return Project(model=_model(name, "dense"), compile=settings, data=DataSettings(path=path, target=target))


class _Blank(ast.NodeTransformer):
    def visit_Constant(self, node):
        return ast.Constant(value="")


def test_names_paths_and_labels_never_become_code(tmp_path):
    for payload in PAYLOADS:
        safe = identifier(payload)  # the PyTorch attribute the layer gets either way
        pairs = [(_project(payload, str(tmp_path / payload.replace("\n", "_")), payload),
                  _project(safe, str(tmp_path / "data.csv"), "label")),
                 (_model(payload, payload), _model(safe, safe))]
        for hostile, benign in pairs:
            for target in TARGETS:
                text = export_code(hostile, target)
                shape = ast.dump(_Blank().visit(parsed(text)))
                assert shape == ast.dump(_Blank().visit(parsed(export_code(benign, target)))), (target, payload)
                if isinstance(hostile, Project):  # the target column is kept, as data
                    assert payload in {node.value for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Constant)}


# -- the SeqStudio script, run in a subprocess ---------------------------------------------------
RUNNER = """
import contextlib, io, runpy, sys
import numpy as np
script, x_path, data_path = sys.argv[1:4]
module = runpy.run_path(script)
model = module["build_model"]()
np.save(x_path + ".out.npy", model.predict(np.load(x_path)))
text = io.StringIO()
with contextlib.redirect_stdout(text):
    model.summary()
open(x_path + ".summary.txt", "w").write(text.getvalue())
sys.argv = [script, data_path]
runpy.run_path(script, run_name="__main__")
"""


def test_seqstudio_script_runs_in_a_subprocess_with_the_same_model(tmp_path):
    set_random_seed(3)
    rng = np.random.default_rng(3)
    data = tmp_path / "data.csv"
    rows = [",".join([*(f"{v:.3f}" for v in rng.normal(size=4)), str(i % 3)]) for i in range(30)]
    data.write_text("a,b,c,d,label\n" + "\n".join(rows) + "\n")
    model = randomize(compiled(stack((4,), [("Dense", {"units": 5, "activation": "relu"}), ("Dropout", {"rate": 0.1}),
                                            ("Dense", {"units": 3, "activation": "softmax"})], name="tiny")))
    settings = CompileSettings(loss="categorical_crossentropy", metrics=["accuracy"], epochs=2, batch_size=8, seed=1)
    project = Project(model=model, compile=settings,
                      data=DataSettings(path=str(data), validation_split=0.2, standardize=True))  # the last column
    script = write_export(project, "python", tmp_path / "tiny.py", weights=True)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    done = subprocess.run([sys.executable, "-c", RUNNER, str(script), str(tmp_path / "x.npy"), str(data)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "x.npy.out.npy"), model.predict(x), atol=1e-6)
    lines = []
    model.summary(print_fn=lines.append)
    assert (tmp_path / "x.npy.summary.txt").read_text().strip() == "\n".join(lines).strip()
    assert "Epoch 2/2" in done.stdout and (tmp_path / "tiny.seqstudio").is_file()


# -- Keras 3 and PyTorch: the same function --------------------------------------------------------
def _family_model(family, seed=0):
    set_random_seed(seed)
    shape, specs = FAMILY_MODELS[family]
    last = specs[-1][1].get("activation")
    loss = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy"}.get(last, "mse")
    return randomize(compiled(stack(shape, specs, name=f"{family}/v1"), loss=loss), seed)


def _inputs(model, seed=1):
    rng = np.random.default_rng(seed)
    first = model.layers[0]
    if first.class_name == "Embedding":
        return rng.integers(0, first.input_dim, size=(5, *model.input_shape[1:])).astype(np.float32)
    return rng.normal(size=(5, *model.input_shape[1:])).astype(np.float32)


@pytest.mark.parametrize("family", sorted(set(FAMILY_MODELS) - {"pooling_uneven"}))
def test_keras_export_computes_the_same_function(tmp_path, family):
    keras_or_skip()
    model = _family_model(family)
    script = write_export(model, "keras", tmp_path / f"{family}.py", weights=True)
    exported = runpy.run_path(str(script))["build_model"]()
    assert exported.count_params() == model.count_params()
    x = _inputs(model)
    np.testing.assert_allclose(exported.predict(x, verbose=0), model.predict(x), atol=1e-4)


@pytest.mark.parametrize("family", sorted(FAMILY_MODELS))
def test_pytorch_export_computes_the_same_function(tmp_path, family):
    torch = torch_or_skip()
    model = _family_model(family)
    script = write_export(model, "pytorch", tmp_path / f"{family}.py", weights=True)
    namespace = runpy.run_path(str(script))
    exported = namespace["build_model"]().eval()
    assert namespace["count_params"](exported) == model.count_params()
    x = _inputs(model)
    with torch.no_grad():
        predicted = exported(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(predicted, model.predict(x), atol=1e-4)


def test_pytorch_training_step_matches_keras_rules(tmp_path):
    """Two steps of the exported optimizer and loss move the weights as SeqStudio's fit does."""
    torch = torch_or_skip()
    from builder import losses

    cases = [(optimizer, "softmax", "categorical_crossentropy") for optimizer in ("sgd", "rmsprop", "adagrad", "adadelta", "nadam")]
    cases += [("sgd", "linear", losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)),
              ("rmsprop", "sigmoid", "binary_crossentropy"), ("adadelta", "linear", "huber")]
    for optimizer, activation, loss in cases:
        set_random_seed(0)
        model = randomize(compiled(stack((4,), [("Dense", {"units": 3, "activation": activation})]),
                                   loss=loss, optimizer=optimizer))
        script = write_export(model, "pytorch", tmp_path / "step.py", weights=True)
        namespace = runpy.run_path(str(script))
        exported = namespace["build_model"]()
        fused = "logits=False" in script.read_text()
        rng = np.random.default_rng(2)
        x = rng.normal(size=(8, 4)).astype(np.float32)
        y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
        for _ in range(2):
            model.train_on_batch(x, y)
        step = namespace["make_optimizer"](exported.parameters())
        for _ in range(2):
            step.zero_grad()
            output = exported(torch.from_numpy(x), **({"logits": True} if fused else {}))
            namespace["loss_fn"](output, torch.from_numpy(y)).backward()
            step.step()
        np.testing.assert_allclose(exported.dense_1.weight.detach().numpy().T, model.layers[0].get_weights()[0],
                                   atol=1e-5, err_msg=f"{optimizer} {loss}")


def test_stateful_layers_carry_their_state_in_every_target(tmp_path):
    keras_or_skip()
    torch = torch_or_skip()
    set_random_seed(4)
    model = Sequential(name="stateful")
    model.add(layers.LSTM(3, stateful=True, return_sequences=True, batch_input_shape=(5, 4, 2)))
    model.add(layers.GRU(2, stateful=True, activation="relu"))
    randomize(compiled(model, loss="mse"))
    x1, x2 = (_inputs(model, seed) for seed in (1, 2))
    expected = [model.predict(x1), model.predict(x2)]
    model.reset_states()
    keras_model = runpy.run_path(str(write_export(model, "keras", tmp_path / "k.py", weights=True)))["build_model"]()
    namespace = runpy.run_path(str(write_export(model, "pytorch", tmp_path / "t.py", weights=True)))
    torch_model = namespace["build_model"]().eval()
    with torch.no_grad():
        for x, want in zip((x1, x2), expected):
            np.testing.assert_allclose(keras_model.predict(x, batch_size=5, verbose=0), want, atol=1e-4)
            np.testing.assert_allclose(torch_model(torch.from_numpy(x)).numpy(), want, atol=1e-4)
        torch_model.reset_states()
        np.testing.assert_allclose(torch_model(torch.from_numpy(x1)).numpy(), expected[0], atol=1e-4)


def test_export_command_reads_saved_models_and_projects(tmp_path, capsys):
    import argparse

    from builder import SeqStudioError
    from builder.export.cli_commands import add_export_parser, run_export
    from builder.project import save_project

    parser = argparse.ArgumentParser()
    add_export_parser(parser.add_subparsers(dest="command"))
    model = compiled(stack((4,), [("Dense", {"units": 3, "trainable": False}), ("Dense", {"units": 2})]), loss="mse")
    model.save(tmp_path / "saved.seqstudio")
    run_export(parser.parse_args(["export", str(tmp_path / "saved.seqstudio"), "--to", "pytorch",
                                  "-o", str(tmp_path / "saved.py"), "--weights"]))
    assert "saved.npz" in capsys.readouterr().out
    text = (tmp_path / "saved.py").read_text()
    assert "self.dense_1.requires_grad_(False)" in text and (tmp_path / "saved.npz").is_file()
    save_project(build_template("mlp_binary"), tmp_path / "binary.json")
    run_export(parser.parse_args(["export", str(tmp_path / "binary.json"), "--to", "keras"]))
    parsed(capsys.readouterr().out)
    with pytest.raises(SeqStudioError, match="already exists"):
        run_export(parser.parse_args(["export", str(tmp_path / "binary.json"), "--to", "keras", "-o",
                                      str(tmp_path / "saved.py")]))
    with pytest.raises(SeqStudioError, match="--weights needs -o"):
        run_export(parser.parse_args(["export", str(tmp_path / "binary.json"), "--to", "keras", "--weights"]))


def test_preview_text_writes_nothing_and_matches_the_saved_script(tmp_path):
    from builder.export import export_text

    project = build_template("digits")
    previews = {target: export_text(project, target, weights=True) for target in TARGETS}
    assert not list(tmp_path.iterdir())
    for target, preview in previews.items():
        assert "load_weights(model)" in preview
        assert write_export(project, target, tmp_path / f"{target}.py", weights=True).read_text() == preview
