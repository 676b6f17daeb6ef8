"""Import of Keras code: the seed guide's examples give the templates' summaries and settings,
exports round-trip, and what cannot be read is named with its line instead of guessed."""

import argparse
import textwrap

import pytest

from builder import ConfigError
from builder.export import export_code
from builder.export.cli_commands import add_import_parser, run_import
from builder.importer import import_keras_code, import_keras_file
from builder.project import load_project
from builder.templates import TEMPLATES, build_template

# The seed guide's models, written as Keras code (Keras 2 spellings, as the guide has them).
SEED_EXAMPLES = {
    "mlp": """
        from keras.models import Sequential
        from keras.layers import Dense, Activation

        model = Sequential([
            Dense(32, input_shape=(784,)),
            Activation('relu'),
            Dense(10),
            Activation('softmax'),
        ])
        model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])
    """,
    "mlp_multiclass": """
        import keras
        from keras.models import Sequential
        from keras.layers import Dense, Dropout, Activation
        from keras.optimizers import SGD

        # Generate dummy data
        import numpy as np
        x_train = np.random.random((1000, 20))
        y_train = keras.utils.to_categorical(np.random.randint(10, size=(1000, 1)), num_classes=10)
        x_test = np.random.random((100, 20))
        y_test = keras.utils.to_categorical(np.random.randint(10, size=(100, 1)), num_classes=10)

        model = Sequential()
        # Dense(64) is a fully-connected layer with 64 hidden units.
        # in the first layer, you must specify the expected input data shape:
        # here, 20-dimensional vectors.
        model.add(Dense(64, activation='relu', input_dim=20))
        model.add(Dropout(0.5))
        model.add(Dense(64, activation='relu'))
        model.add(Dropout(0.5))
        model.add(Dense(10, activation='softmax'))

        sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
        model.compile(loss='categorical_crossentropy',
                      optimizer=sgd,
                      metrics=['accuracy'])

        model.fit(x_train, y_train,
                  epochs=20,
                  batch_size=128)
        score = model.evaluate(x_test, y_test, batch_size=128)
    """,
    "mlp_binary": """
        import numpy as np
        from keras.models import Sequential
        from keras.layers import Dense, Dropout

        x_train = np.random.random((1000, 20))
        y_train = np.random.randint(2, size=(1000, 1))

        model = Sequential()
        model.add(Dense(64, input_dim=20, activation='relu'))
        model.add(Dropout(0.5))
        model.add(Dense(64, activation='relu'))
        model.add(Dropout(0.5))
        model.add(Dense(1, activation='sigmoid'))

        model.compile(loss='binary_crossentropy',
                      optimizer='rmsprop',
                      metrics=['accuracy'])

        model.fit(x_train, y_train, epochs=20, batch_size=128)
    """,
    "vgg_like": """
        import keras
        from keras.models import Sequential
        from keras.layers import Dense, Dropout, Flatten
        from keras.layers import Conv2D, MaxPooling2D
        from keras.optimizers import SGD

        model = Sequential()
        # input: 100x100 images with 3 channels -> (100, 100, 3) tensors.
        # this applies 32 convolution filters of size 3x3 each.
        model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(100, 100, 3)))
        model.add(Conv2D(32, (3, 3), activation='relu'))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Dropout(0.25))

        model.add(Conv2D(64, (3, 3), activation='relu'))
        model.add(Conv2D(64, (3, 3), activation='relu'))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Dropout(0.25))

        model.add(Flatten())
        model.add(Dense(256, activation='relu'))
        model.add(Dropout(0.25))
        model.add(Dense(10, activation='softmax'))

        sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
        model.compile(loss='categorical_crossentropy', optimizer=sgd)

        model.fit(x_train, y_train, batch_size=32, epochs=10)
    """,
    "conv1d": """
        from keras.models import Sequential
        from keras.layers import Dense, Dropout
        from keras.layers import Conv1D, GlobalAveragePooling1D, MaxPooling1D

        seq_length = 64

        model = Sequential()
        model.add(Conv1D(64, 3, activation='relu', input_shape=(seq_length, 100)))
        model.add(Conv1D(64, 3, activation='relu'))
        model.add(MaxPooling1D(3))
        model.add(Conv1D(128, 3, activation='relu'))
        model.add(Conv1D(128, 3, activation='relu'))
        model.add(GlobalAveragePooling1D())
        model.add(Dropout(0.5))
        model.add(Dense(1, activation='sigmoid'))

        model.compile(loss='binary_crossentropy',
                      optimizer='rmsprop',
                      metrics=['accuracy'])

        model.fit(x_train, y_train, batch_size=16, epochs=10)
        score = model.evaluate(x_test, y_test, batch_size=16)
    """,
    "embedding_lstm": """
        from keras.models import Sequential
        from keras.layers import Dense, Dropout
        from keras.layers import Embedding
        from keras.layers import LSTM

        max_features = 20000

        model = Sequential()
        model.add(Embedding(max_features, output_dim=256, input_length=80))
        model.add(LSTM(128))
        model.add(Dropout(0.5))
        model.add(Dense(1, activation='sigmoid'))

        model.compile(loss='binary_crossentropy',
                      optimizer='rmsprop',
                      metrics=['accuracy'])

        model.fit(x_train, y_train, batch_size=16, epochs=10)
        score = model.evaluate(x_test, y_test, batch_size=16)
    """,
    "stacked_lstm": """
        from keras.models import Sequential
        from keras.layers import LSTM, Dense
        import numpy as np

        data_dim = 16
        timesteps = 8
        num_classes = 10

        # expected input data shape: (batch_size, timesteps, data_dim)
        model = Sequential()
        model.add(LSTM(32, return_sequences=True,
                       input_shape=(timesteps, data_dim)))  # returns a sequence of vectors of dimension 32
        model.add(LSTM(32, return_sequences=True))  # returns a sequence of vectors of dimension 32
        model.add(LSTM(32))  # return a single vector of dimension 32
        model.add(Dense(10, activation='softmax'))

        model.compile(loss='categorical_crossentropy',
                      optimizer='rmsprop',
                      metrics=['accuracy'])

        # Generate dummy training data
        x_train = np.random.random((1000, timesteps, data_dim))
        y_train = np.random.random((1000, num_classes))

        model.fit(x_train, y_train,
                  batch_size=64, epochs=5,
                  validation_data=(x_val, y_val))
    """,
    "stateful_lstm": """
        from keras.models import Sequential
        from keras.layers import LSTM, Dense
        import numpy as np

        data_dim = 16
        timesteps = 8
        num_classes = 10
        batch_size = 32

        # Expected input batch shape: (batch_size, timesteps, data_dim)
        # Note that we have to provide the full batch_input_shape since the network is stateful.
        # the sample of index i in batch k is the follow-up for the sample i in batch k-1.
        model = Sequential()
        model.add(LSTM(32, return_sequences=True, stateful=True,
                       batch_input_shape=(batch_size, timesteps, data_dim)))
        model.add(LSTM(32, return_sequences=True, stateful=True))
        model.add(LSTM(32, stateful=True))
        model.add(Dense(10, activation='softmax'))

        model.compile(loss='categorical_crossentropy',
                      optimizer='rmsprop',
                      metrics=['accuracy'])

        model.fit(x_train, y_train,
                  batch_size=batch_size, epochs=5, shuffle=False,
                  validation_data=(x_val, y_val))
    """,
}


def rows(model):
    return [(r.name, r.class_name, r.input_shape, r.output_shape, r.params, r.error) for r in model.shape_rows()]


def settings(project):
    c = project.compile
    return (c.optimizer, c.loss, c.metrics, c.epochs, c.batch_size, c.shuffle)


def test_every_seed_template_has_its_example():
    assert set(SEED_EXAMPLES) == set(TEMPLATES) - {"digits"}  # digits is SeqStudio's own, not the guide's


@pytest.mark.parametrize("template", sorted(SEED_EXAMPLES))
def test_seed_examples_give_the_templates(template):
    imported = import_keras_code(textwrap.dedent(SEED_EXAMPLES[template]), f"{template}.py")
    expected = build_template(template)
    assert rows(imported.model) == rows(expected.model)
    assert settings(imported) == settings(expected)


@pytest.mark.parametrize("template", TEMPLATES)
def test_exports_round_trip_through_import(template):
    project = build_template(template)
    for target in ("python", "keras"):
        imported = import_keras_code(export_code(project, target), f"{template}_{target}.py")
        assert rows(imported.model) == rows(project.model), target
        assert imported.compile == project.compile, target
        assert imported.model.name == project.model.name
        for field in ("target", "validation_split", "standardize"):
            assert getattr(imported.data, field) == getattr(project.data, field), (target, field)


def _error(source):
    with pytest.raises(ConfigError) as caught:
        import_keras_code(textwrap.dedent(source), "model.py")
    return str(caught.value)


def test_unreadable_constructs_are_named_with_their_line():
    head = "from keras import layers\nfrom keras.models import Sequential\n"
    assert _error(head + "n = int(input())\nmodel = Sequential()\nmodel.add(layers.Dense(units=n))\n") == \
        "model.py:5: cannot read `layers.Dense(units=n)`: units must be a literal"
    assert "model.py:4: cannot read `layers.Conv3D(8, 3)`: SeqStudio has no Conv3D layer" in \
        _error(head + "model = Sequential()\nmodel.add(layers.Conv3D(8, 3))\n")
    assert "model.py:5: cannot read `model.add(layers.Dense(8))`: it runs inside a loop" in \
        _error(head + "model = Sequential([layers.Dense(8, input_shape=(3,))])\nfor _ in range(3):\n"
                      "    model.add(layers.Dense(8))\n")
    assert "model.py:3: cannot read `layers.Dense(8, kernel_regularizer='l2')`: Dense: unknown argument" in \
        _error(head + "model = Sequential([layers.Dense(8, kernel_regularizer='l2')])\n")
    assert "model.py:4: cannot read `model.pop()`: SeqStudio does not know what pop() does" in \
        _error(head + "model = Sequential([layers.Dense(8, input_shape=(3,))])\nmodel.pop()\n")
    assert "model.py:4: cannot read `make()`: expected an optimizer" in \
        _error(head + "model = Sequential([layers.Dense(8, input_shape=(3,))])\n"
                      "model.compile(optimizer=make(), loss='mse')\n")
    assert "model.py:3: cannot read `layers.Dense(2, input_shape=(3,))`" in \
        _error(head + "model = Sequential([layers.Dense(4, input_shape=(5,)), layers.Dense(2, input_shape=(3,))])\n")
    assert _error("model = (\n") .startswith("model.py:1: not valid Python")
    assert "no Keras Sequential model found" in _error("import keras\nx = 1\n")
    assert "2 Sequential models (lines 2, 3)" in _error("from keras import Sequential\na = Sequential()\nb = Sequential()\n")


def test_imported_code_is_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = textwrap.dedent("""
        open("ran.txt", "w").write("the import ran the file")
        import keras
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="out")], name="plain")
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.InverseTimeDecay(
            0.01, decay_steps=10, decay_rate=0.5)), loss=keras.losses.MeanSquaredError(), metrics=["mae"])
    """)
    project = import_keras_code(source)
    assert not (tmp_path / "ran.txt").exists()
    assert [layer.name for layer in project.model.layers] == ["out"]
    assert project.model.input_shape == (None, 3)
    assert project.compile.optimizer["config"]["learning_rate"] == 0.01
    assert project.compile.optimizer["config"]["decay"] == pytest.approx(0.05)
    assert (project.compile.loss, project.compile.metrics) == ("mean_squared_error", ["mae"])


def test_import_command_writes_a_project(tmp_path, capsys):
    source = tmp_path / "guide.py"
    source.write_text(textwrap.dedent(SEED_EXAMPLES["mlp_binary"]))
    parser = argparse.ArgumentParser()
    add_import_parser(parser.add_subparsers(dest="command"))
    run_import(parser.parse_args(["import", str(source), "-o", str(tmp_path / "guide.json")]))
    assert "created" in capsys.readouterr().out
    assert rows(load_project(tmp_path / "guide.json").model) == rows(build_template("mlp_binary").model)
    assert rows(import_keras_file(source).model) == rows(build_template("mlp_binary").model)
    with pytest.raises(Exception, match="already exists"):
        run_import(parser.parse_args(["import", str(source), "-o", str(tmp_path / "guide.json")]))


def test_a_model_built_under_the_main_guard_is_read():
    source = textwrap.dedent("""
        import tensorflow as tf

        if __name__ == "__main__":
            model = tf.keras.models.Sequential()
            model.add(tf.keras.layers.InputLayer(input_shape=(6,)))
            model.add(tf.keras.layers.Dense(4, activation="relu"))
            model.compile("adam", "mse")
            model.fit(x, y, epochs=3, validation_split=0.1, verbose=2)
    """)
    project = import_keras_code(source, "guarded.py")
    assert project.model.output_shape == (None, 4)
    assert (project.compile.loss, project.compile.epochs, project.data.validation_split) == ("mse", 3, 0.1)
    assert project.model.name == "guarded"
