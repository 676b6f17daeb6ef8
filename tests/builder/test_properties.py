"""Property tests over random stacks of every layer type in the catalog.

Hyper-parameters are drawn from each Param's own schema (kind, low/high, choices, length), valid
and invalid; input shapes have 1 to 4 dimensions after the batch. What must hold:

- building a layer from any arguments succeeds or raises ConfigError, nothing else;
- shape inference gives the output shapes and parameter counts that Keras's rules give
  (`keras_rule` in keras_shape_rules.py, cross-checked against Keras 3 itself on a sample), or a row with an
  error; it never raises, and neither does the summary;
- a valid small stack builds, and its forward (inference and training) and backward passes give
  exactly the inferred shapes.

Run with -s to see how many layers and stacks were tried.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from keras_shape_rules import RULES, Invalid, keras_rule
from reference import keras_or_skip

from builder import ConfigError, Sequential, ShapeError
from builder.activations import ACTIVATION_NAMES
from builder.catalog import layer_class, layer_from_config, layer_types
from builder.initializers import INITIALIZER_NAMES
from builder.shapes import infer_shapes
from builder.summary import summary_text
from builder.training import forward

TYPES = {t.name: t for t in layer_types()}
TRIED: Counter = Counter()

# Deterministic in CI: the same examples on every run, no example database. Arguments, shapes
# and summaries are pure Python: 2 s per example is generous on a busy machine.
CI = dict(derandomize=True, database=None, print_blob=True)
PURE_RULES = timedelta(seconds=2)


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\nrandom examples tried:", ", ".join(f"{key}: {n}" for key, n in sorted(TRIED.items())))


# -- hyper-parameters from the catalog's schemas ------------------------------------------------
SMALL = 4  # how far above its lower bound a valid integer goes


def _small_int(param):
    low = -3 if param.low is None else int(param.low)
    high = low + SMALL if param.high is None else min(int(param.high), low + SMALL)
    return st.integers(low, high)


def _float_in(param):
    low = 0.0 if param.low is None else float(param.low)
    high = low + 1.0 if param.high is None else float(param.high)
    return st.floats(low, high, exclude_min=not param.low_inclusive, exclude_max=not param.high_inclusive,
                     width=32)  # the kernels compute in float32


def _ints(param):
    one = st.integers(int(param.low or 0), int(param.low or 0) + 3)
    return one | st.tuples(*[one] * (param.length or 1))


def _shapes():
    dims = st.lists(st.integers(1, 4), min_size=1, max_size=3)
    return dims | dims.flatmap(lambda d: st.integers(0, len(d) - 1).map(lambda i: (*d[:i], -1, *d[i + 1:])))


def _int_pairs():
    amount = st.integers(0, 2)
    return amount | st.tuples(amount, amount) | st.tuples(st.tuples(amount, amount), st.tuples(amount, amount))


def valid_value(param):
    """A value the parameter's schema accepts, small enough for a fast forward pass."""
    kind = param.kind
    if param.name == "dims":  # Permute: a permutation of 1..k
        return st.integers(1, 3).flatmap(lambda k: st.permutations(list(range(1, k + 1)))).map(tuple)
    return {
        "int": lambda: _small_int(param),
        "optional_int": lambda: st.none() | _small_int(param),
        "float": lambda: _float_in(param),
        "bool": st.booleans,
        "choice": lambda: st.sampled_from(param.choices) | st.sampled_from(param.choices).map(str.upper),
        "activation": lambda: st.sampled_from([*ACTIVATION_NAMES, None, "silu"]),
        "initializer": lambda: st.sampled_from(INITIALIZER_NAMES),
        "ints": lambda: _ints(param),
        "optional_ints": lambda: st.none() | _ints(param),
        "shape": _shapes,
        "int_pairs": _int_pairs,
    }[kind]()


JUNK = st.sampled_from([None, "", "junk", [], {}, (), [[1]], float("nan"), float("inf"), -1, 0, 2.5, True,
                        10**30, -(10**30), 1e300, b"\x00", object(), np.float64("nan"), np.arange(3),
                        np.zeros((2, 2)), np.int64(-5), "3", [1, "a"], (None,), (0, 0), ((1, 2), (3,))])


def invalid_value(param):
    """A value the schema must refuse (so building the layer raises ConfigError)."""
    kind = param.kind
    wrong_type = st.sampled_from(["junk", [], {}, object(), b"x", (1.5j,)])
    if kind in ("int", "optional_int"):
        options = [st.sampled_from([2.5, "3", float("nan"), True, [1]])]
        if param.low is not None:
            options.append(st.integers(-(10**20), int(param.low) - 1))
        if param.high is not None:
            options.append(st.integers(int(param.high) + 1, 10**20))
        return st.one_of(options)
    if kind == "float":
        options = [st.sampled_from([float("nan"), float("inf"), "0.5", True, None, [0.1], 1e39])]
        if param.low is not None:
            options.append(st.floats(max_value=param.low, exclude_max=param.low_inclusive, allow_nan=False))
            if not param.low_inclusive:  # valid in float64, equal to the bound in float32
                options.append(st.just(param.low + 1e-46 if param.low == 0 else param.low * (1 + 1e-12)))
        if param.high is not None:
            options.append(st.floats(min_value=param.high, exclude_min=param.high_inclusive, allow_nan=False))
            if not param.high_inclusive:
                options.append(st.just(param.high - 1e-12))
        return st.one_of(options)
    if kind == "bool":
        return st.sampled_from([2, -1, "yes", None, 0.5, []])
    if kind in ("choice", "activation", "initializer"):
        return st.sampled_from(["bogus", 3, [], {}, b"relu", ("relu",), 1.5]) | wrong_type
    if kind in ("ints", "optional_ints"):
        n = param.length or 1
        bad_item = st.sampled_from([-5, 1.5, "2", None, [1], float("nan")] + ([0] if (param.low or 0) > 0 else []))
        return st.one_of(
            st.lists(st.integers(1, 3), min_size=n + 1, max_size=n + 3).map(tuple),
            st.tuples(*[bad_item] * n),
            st.sampled_from([-7, "3", 2.5, np.zeros((1, n))]),
        )
    if kind == "shape":
        return st.sampled_from([(), [], (0,), (-2, 3), (-1, -1), (1.5,), "ab", None, [[2]]])
    if kind == "int_pairs":
        return st.sampled_from([-1, (1,), (1, 2, 3), ((1,), (1, 1)), ((-1, 0), (0, 0)), "x", 1.5, None])
    raise AssertionError(f"no invalid values known for kind {kind!r}")


@st.composite
def layer_arguments(draw, type_name: str, invalid: bool = False):
    """(kwargs, refused) for a layer of this type: every required argument, some optional ones;
    with invalid, either one value its schema refuses (returned as refused) or junk in one of
    the arguments every layer takes (which may happen to be acceptable: refused is None)."""
    params = TYPES[type_name].params
    kwargs = {}
    for param in params:
        if param.required or draw(st.booleans()):
            kwargs[param.name] = draw(valid_value(param))
    if draw(st.integers(0, 9)) == 0:
        kwargs["trainable"] = False
    refused = None
    if invalid and params and draw(st.booleans()):
        param = draw(st.sampled_from(params))
        kwargs[param.name] = refused = draw(invalid_value(param))
    elif invalid:
        common = draw(st.sampled_from(["name", "input_shape", "batch_input_shape", "batch_size", "input_dim",
                                       "trainable", "dtype", "no_such_argument"]))
        kwargs[common] = draw(JUNK | st.lists(JUNK, max_size=3) | st.tuples(JUNK, JUNK))
    return kwargs, refused


# -- building layers from arguments ----------------------------------------------------------
@settings(**CI, max_examples=600, deadline=PURE_RULES)
@given(data=st.data(), type_name=st.sampled_from(sorted(TYPES)))
def test_random_hyper_parameters_build_a_layer_or_raise_config_error(data, type_name):
    kwargs, refused = data.draw(layer_arguments(type_name, invalid=True))
    TRIED["layers built from random arguments"] += 1
    try:
        layer = layer_class(type_name)(**kwargs)
    except ConfigError as err:
        assert str(err)
        return
    assert refused is None, f"{type_name} accepted {kwargs}"
    again = layer_from_config(type_name, layer.get_config())
    assert again.get_config() == layer.get_config()


@settings(**CI, max_examples=200, deadline=PURE_RULES)
@given(data=st.data(), type_name=st.sampled_from(sorted(TYPES)))
def test_valid_hyper_parameters_build_a_layer_that_round_trips(data, type_name):
    kwargs, _ = data.draw(layer_arguments(type_name))
    TRIED["layers built from valid arguments"] += 1
    try:
        layer = layer_class(type_name)(**kwargs)
    except ConfigError as err:  # only cross-argument rules may refuse schema-valid values
        assert type_name in ("Conv1D", "Conv2D") and "dilation_rate" in str(err), err
        return
    assert layer_from_config(type_name, layer.get_config()).get_config() == layer.get_config()


ESCAPED_ONCE = [  # arguments that once raised something other than ConfigError
    ("Dense", {"units": 1, "kernel_initializer": []}),  # TypeError: unhashable list
    ("Activation", {"activation": []}),
    ("Activation", {"activation": "linear", "batch_input_shape": float("nan")}),  # not iterable
    ("Activation", {"activation": "linear", "dtype": np.arange(3)}),  # ambiguous truth value
    ("BatchNormalization", {"epsilon": 1e-46}),  # 0 in float32: ZeroDivisionError in forward
    ("Dropout", {"rate": 1 - 1e-12}),  # 1 in float32
]


@pytest.mark.parametrize("type_name, kwargs", ESCAPED_ONCE)
def test_arguments_that_escaped_once_raise_config_error(type_name, kwargs):
    with pytest.raises(ConfigError):
        layer_class(type_name)(**kwargs)


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_positional_arguments_and_unknown_keywords_raise_config_error(type_name):
    cls = layer_class(type_name)
    with pytest.raises(ConfigError):
        cls(*([1] * (len(cls.PARAMS) + 1)))
    with pytest.raises(ConfigError):
        cls(no_such_argument=1)


# -- random stacks ---------------------------------------------------------------------------
def _make(type_name, kwargs):
    try:
        return layer_class(type_name)(**kwargs)
    except ConfigError:
        return None


@st.composite
def random_stack(draw, max_layers: int = 6):
    """Layers of any types in any order (most such stacks are invalid somewhere)."""
    stack = []
    for _ in range(draw(st.integers(1, max_layers))):
        type_name = draw(st.sampled_from(sorted(TYPES)))
        layer = _make(type_name, draw(layer_arguments(type_name))[0])
        if layer is not None:
            stack.append(layer)
    return stack


def input_shapes(max_dim: int = 6):
    batch = st.none() | st.integers(1, 3)
    return st.tuples(batch, st.lists(st.integers(1, max_dim), min_size=1, max_size=4)).map(
        lambda bd: (bd[0], *bd[1]))


def check_rows_follow_keras(layers, input_shape):
    """infer_shapes never raises and agrees with keras_rule layer by layer; returns the rows."""
    rows = infer_shapes(layers, input_shape)
    assert len(rows) == len(layers)
    shape = tuple(input_shape)
    for layer, row in zip(layers, rows):
        assert row.name == layer.name and row.class_name == layer.class_name
        if shape is None:
            assert row.output_shape is None and row.params is None and row.error is None
            continue
        assert row.input_shape == shape
        try:
            expected = keras_rule(layer, shape)
        except Invalid:
            assert row.error and row.output_shape is None and row.params is None, (layer, shape, row)
            shape = None
            continue
        assert row.error is None, (layer, shape, row.error)
        assert (row.output_shape, row.trainable_params, row.non_trainable_params) == expected, (layer, shape)
        shape = row.output_shape
    return rows


@settings(**CI, max_examples=700, deadline=PURE_RULES)
@given(stack=random_stack(), input_shape=input_shapes(), line_length=st.integers(10, 200))
def test_random_stacks_infer_keras_shapes_or_report_the_error(stack, input_shape, line_length):
    TRIED["random stacks (shape inference)"] += 1
    rows = check_rows_follow_keras(stack, input_shape)
    text = summary_text("sequential", rows, line_length)
    assert text.startswith('Model: "sequential"')
    errors = [row.error for row in rows if row.error]
    if errors:
        assert errors[0] in text


@settings(**CI, max_examples=200, deadline=PURE_RULES)
@given(stack=random_stack(), input_shape=input_shapes(max_dim=1 << 20))
def test_shape_inference_on_huge_inputs_allocates_nothing_and_follows_keras(stack, input_shape):
    """Shapes of a million steps or pixels: pure arithmetic, whatever the counts reach."""
    TRIED["random stacks with huge dimensions"] += 1
    rows = check_rows_follow_keras(stack, input_shape)
    summary_text("huge", rows)


@settings(**CI, max_examples=200, deadline=PURE_RULES)
@given(stack=random_stack(), input_shape=input_shapes())
def test_sequential_add_refuses_exactly_the_layers_keras_would(stack, input_shape):
    """add() raises ShapeError (and adds nothing) exactly where Keras's rules fail; the
    model's rows, its config round trip and its summary follow."""
    TRIED["random stacks (Sequential.add)"] += 1
    model = Sequential()
    model.set_input_shape(input_shape)
    shape = tuple(input_shape)
    for layer in stack:
        try:
            expected = keras_rule(layer, shape)
        except Invalid:
            with pytest.raises(ShapeError):
                model.add(layer)
            assert all(existing is not layer for existing in model.layers)
            continue
        model.add(layer)
        shape = expected[0]
    rows = model.shape_rows()
    assert all(row.error is None for row in rows)
    if rows:
        assert model.output_shape == shape
    again = Sequential.from_config(model.get_config())
    assert [(r.output_shape, r.params) for r in again.shape_rows()] == [(r.output_shape, r.params) for r in rows]
    lines = []
    model.summary(print_fn=lines.append)
    assert lines and "Total params" in lines[0]


@settings(**CI, max_examples=100, deadline=PURE_RULES)
@given(stack=random_stack())
def test_stacks_without_an_input_shape_have_unknown_rows_and_a_summary(stack):
    TRIED["random stacks without an input shape"] += 1
    rows = infer_shapes(stack)
    declared = stack[0].input_shape_arg if stack else None
    if declared is None:
        assert all(row.output_shape is None and row.error is None for row in rows)
    summary_text("no_input", rows)


# -- valid small stacks: build, forward, backward --------------------------------------------
MAX_VALUES_PER_SAMPLE = 2048
MAX_PARAMS_PER_LAYER = 5_000


def _reshape_arguments(draw, shape):
    """Reshape's target: a random factorisation of the input's size, one entry perhaps -1."""
    size, target = math.prod(shape[1:]), []
    while size > 1 and len(target) < 2:
        divisors = [d for d in range(1, size + 1) if size % d == 0]
        d = draw(st.sampled_from(divisors))
        target.append(d)
        size //= d
    target.append(size)
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return {"target_shape": tuple(target)}


INPUT_RANK = {  # the rank (batch included) a layer type needs, where it needs one
    "SpatialDropout1D": 3, "SpatialDropout2D": 4, "Conv1D": 3, "Conv2D": 4, "AveragePooling1D": 3,
    "AveragePooling2D": 4, "MaxPooling1D": 3, "MaxPooling2D": 4, "GlobalAveragePooling1D": 3,
    "GlobalAveragePooling2D": 4, "GlobalMaxPooling1D": 3, "GlobalMaxPooling2D": 4, "SimpleRNN": 3, "LSTM": 3,
    "GRU": 3, "RepeatVector": 2, "UpSampling1D": 3, "UpSampling2D": 4, "ZeroPadding1D": 3, "ZeroPadding2D": 4,
}


def _fitting_arguments(draw, type_name, shape):
    if type_name == "Reshape":
        return _reshape_arguments(draw, shape)
    if type_name == "Permute":
        return {"dims": tuple(draw(st.permutations(range(1, len(shape)))))}
    return draw(layer_arguments(type_name))[0]


def _fitting_layer(draw, type_names, shape, tries):
    """A layer of one of type_names that Keras's rules accept for shape, or None."""
    for _ in range(tries):
        type_name = draw(st.sampled_from(type_names))
        layer = _make(type_name, _fitting_arguments(draw, type_name, shape))
        if layer is None:
            continue
        try:
            out, trainable, frozen = keras_rule(layer, shape)
        except Invalid:
            continue
        if math.prod(out[1:]) <= MAX_VALUES_PER_SAMPLE and trainable + frozen <= MAX_PARAMS_PER_LAYER:
            return layer, out
    return None, shape


@st.composite
def valid_stack(draw, required: str, max_layers: int = 5):
    """(layers, input shape): a stack Keras's rules accept, holding a `required` layer, small
    enough to run in a blink. Layers are drawn one at a time among the types that can follow
    (an Embedding reads integer indices, so it only comes first); Permute and Reshape get
    arguments that fit the running shape."""
    rank = INPUT_RANK.get(required) if draw(st.integers(0, 3)) else None
    dims = st.lists(st.integers(1, 5), min_size=(rank or 2) - 1, max_size=(rank or 5) - 1)
    input_shape = (draw(st.none() | st.integers(1, 3)), *draw(dims))
    followers = [name for name in sorted(TYPES) if name != "Embedding"]
    length = draw(st.integers(1, max_layers))
    position = 0 if required == "Embedding" else draw(st.integers(0, length - 1))
    stack, shape = [], input_shape
    for index in range(length):
        if index == position:
            layer, shape = _fitting_layer(draw, [required], shape, tries=8)
            assume(layer is not None)
        else:
            layer, shape = _fitting_layer(draw, followers, shape, tries=4)
        if layer is not None:
            stack.append(layer)
    return stack, input_shape


def _sample_input(stack, shape, rng):
    if stack[0].class_name == "Embedding":
        return rng.integers(0, stack[0].input_dim, size=shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("type_name", sorted(TYPES))
@settings(**CI, max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data(), batch=st.integers(1, 3), training=st.booleans())
def test_valid_small_stacks_run_with_exactly_the_inferred_shapes(type_name, data, batch, training):
    """deadline=None and too_slow: the first stack that reaches a kernel loads it from Numba's
    cache (seconds on a cold machine); every later one takes milliseconds. filter_too_much: a
    required Conv2D or RepeatVector often cannot follow the layers drawn before it."""
    stack, input_shape = data.draw(valid_stack(type_name))
    TRIED["valid stacks built and run"] += 1
    model = Sequential(stack)
    model.set_input_shape(input_shape)
    rows = check_rows_follow_keras(model.layers, input_shape)
    stateful = any(getattr(layer, "stateful", False) for layer in stack)
    if stateful and input_shape[0] is None:
        with pytest.raises(ConfigError):
            model.build()
        return
    model.build()
    assert model.count_params() == sum(w.value.size for layer in model.layers for w in layer.weights)
    batch = input_shape[0] or batch
    rng = np.random.default_rng(batch)
    x = _sample_input(stack, (batch, *input_shape[1:]), rng)
    y = forward(model, x, training=training)
    assert y.shape == (batch, *rows[-1].output_shape[1:])
    assert y.dtype == np.float32
    # layer by layer, then back down: every output and input gradient has its inferred shape
    outputs = [x]
    for layer, row in zip(model.layers, rows):
        outputs.append(layer.forward(outputs[-1], training))
        assert outputs[-1].shape == (batch, *row.output_shape[1:]), (layer, row)
    grad = np.ones_like(outputs[-1])
    for layer, row in zip(reversed(model.layers), reversed(rows)):
        grad = layer.backward(grad, True)
        assert grad.shape == (batch, *row.input_shape[1:]), (layer, row)
        for w in layer.weights:
            assert w.grad.shape == w.value.shape


# -- the catalog and the rules stay in step ---------------------------------------------------
def test_every_catalog_type_has_a_keras_rule_and_schema_values():
    assert set(RULES) == set(TYPES)
    for layer_type in TYPES.values():
        for param in layer_type.params:
            valid_value(param)
            invalid_value(param)


# -- Keras 3 itself, on a sample -------------------------------------------------------------
_NOT_KERAS_ARGUMENTS = ("name", "trainable", "batch_input_shape", "batch_size")


def keras_layer(keras, layer):
    """The Keras twin of a layer. Initializers are left out: they change no shape or count, and
    Keras refuses "orthogonal" for 1-D weights (biases) where SeqStudio draws a unit vector."""
    config = {k: v for k, v in layer.get_config().items()
              if k not in _NOT_KERAS_ARGUMENTS and not k.endswith("_initializer")}
    reference = getattr(keras.layers, layer.class_name)(**config)
    reference.trainable = layer.trainable
    return reference


@pytest.mark.parametrize("type_name", sorted(TYPES))
@settings(**CI, max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_valid_stacks_match_keras_output_shape_and_parameter_count(type_name, data):
    """Three stacks holding each layer type (87 small Keras models, about 30 ms each; no
    deadline, since the first example imports Keras and torch)."""
    keras = keras_or_skip()
    stack, input_shape = data.draw(valid_stack(type_name, max_layers=4))
    TRIED["valid stacks cross-checked with Keras"] += 1
    rows = infer_shapes(stack, input_shape)
    batch = input_shape[0]
    if any(getattr(layer, "stateful", False) for layer in stack) and batch is None:
        batch = 2
        rows = infer_shapes(stack, (batch, *input_shape[1:]))
    reference = keras.Sequential([keras.Input(shape=input_shape[1:], batch_size=batch),
                                  *(keras_layer(keras, layer) for layer in stack)])
    assert tuple(reference.output_shape) == rows[-1].output_shape
    assert reference.count_params() == sum(row.params for row in rows)
    trainable = sum(int(np.prod(w.shape)) for w in reference.trainable_weights)
    assert trainable == sum(row.trainable_params for row in rows)
