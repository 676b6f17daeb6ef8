"""Optimizers: Keras 3's rules replayed in float64 numpy and by Keras itself, the legacy
lr/decay spellings, validation, get/serialize, and resuming from a saved state."""

import math

import numpy as np
import pytest
from reference import keras_or_skip

from builder import optimizers
from builder.errors import ConfigError, ShapeError

N = 23
STEPS = 5

# Keras 3's defaults, written out here so the classes are checked against them.
DEFAULTS = {
    "SGD": dict(learning_rate=0.01, momentum=0.0, nesterov=False),
    "RMSprop": dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False),
    "Adagrad": dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7),
    "Adam": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
    "Adadelta": dict(learning_rate=0.001, rho=0.95, epsilon=1e-7),
    "Adamax": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
    "Nadam": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}


# -- float64 reference: one step of each rule, slots kept in `s` --------------------------
def _sgd(w, g, lr, t, c, s):
    if c["momentum"] == 0:
        return w - lr * g
    s["m"] = c["momentum"] * s.get("m", 0.0) - lr * g
    return w + (c["momentum"] * s["m"] - lr * g if c["nesterov"] else s["m"])


def _rmsprop(w, g, lr, t, c, s):
    rho = c["rho"]
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g**2
    if c["centered"]:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        increment = lr * g / np.sqrt(s["v"] - s["a"] ** 2 + c["epsilon"])
    else:
        increment = lr * g / np.sqrt(s["v"] + c["epsilon"])
    if c["momentum"] > 0:
        s["b"] = c["momentum"] * s.get("b", 0.0) + increment
        return w - s["b"]
    return w - increment


def _adagrad(w, g, lr, t, c, s):
    s["acc"] = s.get("acc", c["initial_accumulator_value"]) + g**2
    return w - lr * g / np.sqrt(s["acc"] + c["epsilon"])


def _adam(w, g, lr, t, c, s):
    b1, b2 = c["beta_1"], c["beta_2"]
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
    v = s["v"]
    if c["amsgrad"]:
        v = s["v_hat"] = np.maximum(s.get("v_hat", 0.0), s["v"])
    alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
    return w - alpha * s["m"] / (np.sqrt(v) + c["epsilon"])


def _adadelta(w, g, lr, t, c, s):
    rho, eps = c["rho"], c["epsilon"]
    s["g2"] = rho * s.get("g2", 0.0) + (1 - rho) * g**2
    delta = -np.sqrt(s.get("d2", 0.0) + eps) / np.sqrt(s["g2"] + eps) * g
    s["d2"] = rho * s.get("d2", 0.0) + (1 - rho) * delta**2
    return w + lr * delta


def _adamax(w, g, lr, t, c, s):
    b1 = c["beta_1"]
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["u"] = np.maximum(c["beta_2"] * s.get("u", 0.0), np.abs(g))
    return w - lr / (1 - b1**t) * s["m"] / (s["u"] + c["epsilon"])


def _nadam(w, g, lr, t, c, s):
    b1, b2 = c["beta_1"], c["beta_2"]

    def mu(step):
        return b1 * (1 - 0.5 * 0.96**step)

    s["prod"] = s.get("prod", 1.0) * mu(t)
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
    m_hat = mu(t + 1) * s["m"] / (1 - s["prod"] * mu(t + 1)) + (1 - mu(t)) * g / (1 - s["prod"])
    v_hat = s["v"] / (1 - b2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + c["epsilon"])


RULES = {"SGD": _sgd, "RMSprop": _rmsprop, "Adagrad": _adagrad, "Adam": _adam,
         "Adadelta": _adadelta, "Adamax": _adamax, "Nadam": _nadam}


def reference_run(name, options, w0, grads):
    c = {**DEFAULTS[name], **options}
    w, slots = w0.astype(np.float64), {}
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if c.get("clipvalue"):
            g = np.clip(g, -c["clipvalue"], c["clipvalue"])
        if c.get("global_clipnorm"):
            g = g * min(1.0, c["global_clipnorm"] / np.linalg.norm(g))
        lr = c["learning_rate"] / (1 + c.get("decay", 0.0) * (t - 1))
        w = RULES[name](w, g, lr, t, c, slots)
    return w


def problem(seed=0):
    rng = np.random.default_rng(seed)
    w0 = (0.2 * rng.normal(size=N)).astype(np.float32)
    grads = rng.normal(size=(STEPS, N)).astype(np.float32)
    return w0, grads


def our_run(optimizer, w0, grads):
    w = w0.copy()
    for g in grads:
        optimizer.apply(w, g)
    return w


def assert_same_run(ours, expected, w0):
    """Compare how far the parameters moved, within 1e-5 relative to the largest move (a
    parameter that barely moved may differ by float32 rounding of Keras's own scalars, such as
    1 - 0.999 ** t) plus the float32 spacing of the parameters, which bounds what any float32
    run can resolve."""
    moved = expected - w0
    resolution = 2 * STEPS * float(np.spacing(np.abs(w0).max()))
    np.testing.assert_allclose(ours - w0, moved, rtol=1e-5,
                               atol=1e-5 * np.abs(moved).max() + resolution)


CASES = [
    ("SGD", {}),
    ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(learning_rate=0.1, momentum=0.5, clipvalue=0.5)),
    ("RMSprop", {}),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5)),
    ("RMSprop", dict(learning_rate=0.01, centered=True)),
    ("RMSprop", dict(learning_rate=0.01, rho=0.8, momentum=0.3, centered=True, global_clipnorm=1.0)),
    ("Adagrad", {}),
    ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.5, clipvalue=0.3)),
    ("Adam", {}),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("Adam", dict(learning_rate=0.01, beta_1=0.5, beta_2=0.9, global_clipnorm=1.0)),
    ("Adam", dict(learning_rate=0.01, global_clipnorm=100.0)),
    ("Adadelta", {}),
    ("Adadelta", dict(learning_rate=1.0, rho=0.9, epsilon=1e-6, clipvalue=0.5)),
    ("Adamax", {}),
    ("Adamax", dict(learning_rate=0.01, beta_1=0.7, global_clipnorm=2.0)),
    ("Nadam", {}),
    ("Nadam", dict(learning_rate=0.01, beta_1=0.8, clipvalue=0.5)),
]
LEGACY_CASES = [
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True, decay=0.1)),
    ("Adam", dict(learning_rate=0.01, decay=0.5)),
    ("RMSprop", dict(learning_rate=0.01, decay=0.2, clipvalue=0.5)),
]


def _ids(cases):
    return [f"{name}-{'-'.join(map(str, options)) or 'defaults'}" for name, options in cases]


@pytest.mark.parametrize("name, options", CASES + LEGACY_CASES, ids=_ids(CASES + LEGACY_CASES))
def test_update_rule_matches_float64_reference(name, options):
    w0, grads = problem()
    ours = our_run(getattr(optimizers, name)(**options), w0, grads)
    assert_same_run(ours, reference_run(name, options, w0, grads), w0)


@pytest.fixture(scope="module")
def keras():
    return keras_or_skip()


@pytest.mark.parametrize("name, options", CASES, ids=_ids(CASES))
def test_update_rule_matches_keras(keras, name, options):
    w0, grads = problem(1)
    variable = keras.Variable(w0)
    reference = getattr(keras.optimizers, name)(**options)
    for g in grads:
        reference.apply([keras.ops.convert_to_tensor(g)], [variable])
    expected = keras.ops.convert_to_numpy(variable).astype(np.float64)
    ours = our_run(getattr(optimizers, name)(**options), w0, grads)
    assert_same_run(ours, expected, w0)


@pytest.mark.parametrize("name", DEFAULTS)
def test_defaults_match_keras(keras, name):
    theirs = getattr(keras.optimizers, name)().get_config()
    ours = optimizers.get(name).get_config()
    for key, value in DEFAULTS[name].items():
        assert ours[key] == pytest.approx(value) and theirs[key] == pytest.approx(value), key


def test_from_keras_config(keras):
    config = keras.optimizers.Adam(learning_rate=0.02, amsgrad=True, clipvalue=0.5).get_config()
    adam = optimizers.Adam.from_config(config)
    assert (adam.learning_rate, adam.amsgrad, adam.clipvalue) == (pytest.approx(0.02), True, 0.5)
    config["weight_decay"] = 0.004
    with pytest.raises(ConfigError, match="weight_decay=0.004"):
        optimizers.Adam.from_config(config)


# -- legacy spellings ---------------------------------------------------------------------
def test_r_guide_sgd_spelling():
    sgd = optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    assert (sgd.learning_rate, sgd.decay, sgd.momentum, sgd.nesterov) == (0.01, 1e-6, 0.9, True)
    w0, grads = problem()
    options = dict(learning_rate=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    assert_same_run(our_run(sgd, w0, grads), reference_run("SGD", options, w0, grads), w0)


def test_decay_is_time_based_on_updates_done():
    adam = optimizers.Adam(lr=0.01, decay=0.5)
    assert adam.current_learning_rate() == 0.01
    w, g = problem()
    for _ in range(3):
        adam.apply(w, g[0])
    assert adam.iterations == 3
    assert adam.current_learning_rate() == pytest.approx(0.01 / (1 + 0.5 * 3))
    assert adam.learning_rate == 0.01


def test_lr_and_learning_rate_together_are_refused():
    with pytest.raises(ConfigError, match="learning_rate or its legacy alias lr"):
        optimizers.SGD(0.1, lr=0.1)


# -- validation ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, argument, value", [
    ("SGD", "learning_rate", 0.0),
    ("SGD", "learning_rate", -0.01),
    ("Adam", "learning_rate", float("nan")),
    ("Adam", "learning_rate", float("inf")),
    ("RMSprop", "lr", -1.0),
    ("SGD", "momentum", 1.5),
    ("SGD", "momentum", -0.1),
    ("RMSprop", "momentum", 2.0),
    ("RMSprop", "rho", 1.0),
    ("Adadelta", "rho", -0.5),
    ("Adam", "beta_1", 1.0),
    ("Nadam", "beta_2", 1.2),
    ("Adamax", "beta_1", -0.1),
    ("Adagrad", "epsilon", -1e-7),
    ("Adagrad", "initial_accumulator_value", -0.1),
    ("SGD", "decay", -1e-6),
    ("Adam", "clipvalue", 0.0),
    ("Adam", "global_clipnorm", -1.0),
    ("Adam", "amsgrad", "yes"),
    ("SGD", "nesterov", 2),
])
def test_bad_values_name_optimizer_argument_and_value(name, argument, value):
    shown = "learning_rate" if argument == "lr" else argument
    with pytest.raises(ConfigError, match=rf"^{name}: invalid {shown}={value!r}"):
        getattr(optimizers, name)(**{argument: value})


def test_other_argument_errors():
    with pytest.raises(ConfigError, match="only one of clipvalue and global_clipnorm"):
        optimizers.Adam(clipvalue=1.0, global_clipnorm=1.0)
    with pytest.raises(ConfigError, match="unknown argument 'betas'"):
        optimizers.Adam(betas=(0.9, 0.99))
    with pytest.raises(ConfigError, match="two values for argument 'momentum'"):
        optimizers.SGD(0.1, 0.9, momentum=0.9)
    with pytest.raises(ConfigError, match="at most"):
        optimizers.Adadelta(1.0, 0.9, 1e-7, 0.0, None, None, 5)


def test_learning_rate_can_change_but_settings_are_fixed():
    adam = optimizers.Adam(amsgrad=True)
    adam.learning_rate = np.float32(0.5)
    assert adam.learning_rate == 0.5 and type(adam.learning_rate) is float
    with pytest.raises(ConfigError, match="learning_rate=-0.5"):
        adam.learning_rate = -0.5
    with pytest.raises(AttributeError, match="amsgrad is fixed"):
        adam.amsgrad = False


# -- get, serialize, repr -------------------------------------------------------------------
@pytest.mark.parametrize("name", DEFAULTS)
def test_get_by_name_and_serialize_round_trip(name):
    optimizer = optimizers.get(name.upper())
    assert type(optimizer).__name__ == name
    assert optimizer.get_config() == {**DEFAULTS[name], "decay": 0.0, "clipvalue": None,
                                      "global_clipnorm": None}
    data = optimizers.serialize(optimizer)
    assert data["class_name"] == name
    again = optimizers.deserialize(data)
    assert type(again) is type(optimizer) and again.get_config() == optimizer.get_config()


def test_serialize_keeps_every_setting():
    sgd = optimizers.SGD(lr=0.05, momentum=0.8, nesterov=True, decay=1e-4, clipvalue=2.0)
    again = optimizers.get(optimizers.serialize(sgd))
    assert again.get_config() == sgd.get_config()
    assert again.get_config()["learning_rate"] == 0.05


def test_get_returns_instances_as_is_and_refuses_the_rest():
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam
    assert optimizers.get("sgd") is not optimizers.get("sgd")
    names = "'sgd', 'rmsprop', 'adagrad', 'adam', 'adadelta', 'adamax', 'nadam'"
    for bad in ("adamw", 3, None):
        with pytest.raises(ConfigError, match=names):
            optimizers.get(bad)
    with pytest.raises(ConfigError, match="class_name"):
        optimizers.deserialize({"config": {}})


def test_repr_names_the_settings():
    assert repr(optimizers.SGD()) == "SGD(learning_rate=0.01, momentum=0.0, nesterov=False)"
    assert repr(optimizers.Adam(lr=0.01, global_clipnorm=1.0)) == (
        "Adam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False, "
        "global_clipnorm=1.0)"
    )


# -- building, applying, state ---------------------------------------------------------------
RESUME_CASES = [
    ("SGD", dict(momentum=0.9, nesterov=True)),
    ("SGD", {}),
    ("RMSprop", dict(momentum=0.5, centered=True)),
    ("Adagrad", {}),
    ("Adam", dict(amsgrad=True, decay=0.1)),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("Nadam", dict(global_clipnorm=1.0)),
]


@pytest.mark.parametrize("name, options", RESUME_CASES, ids=_ids(RESUME_CASES))
def test_state_round_trip_resumes_identically(name, options):
    w, grads = problem(2)
    first = getattr(optimizers, name)(**options)
    for g in grads[:3]:
        first.apply(w, g)
    state = first.get_state()
    # As a saved file gives it back: every value an array.
    saved = {key: np.asarray(value) for key, value in state.items()}
    resumed = optimizers.deserialize(optimizers.serialize(first))
    resumed.build(N)
    resumed.set_state(saved)
    assert resumed.iterations == 3
    w_first, w_resumed = w.copy(), w.copy()
    for g in grads[3:]:
        first.apply(w_first, g)
        resumed.apply(w_resumed, g)
    np.testing.assert_array_equal(w_resumed, w_first)
    assert state["iterations"] == 3  # get_state handed out copies
    for key, value in first.get_state().items():
        np.testing.assert_array_equal(resumed.get_state()[key], value)


def test_state_of_a_slotless_optimizer_restores_iterations_before_build():
    sgd = optimizers.SGD(decay=0.5)
    sgd.set_state({"iterations": np.asarray(4)})
    w, g = problem()
    sgd.apply(w, g[0])
    assert sgd.iterations == 5


def test_a_state_taken_before_the_first_build_restarts_the_slots():
    adam = optimizers.Adam()
    adam.build(N)
    w, grads = problem()
    adam.apply(w, grads[0])
    adam.set_state(optimizers.Adam().get_state())
    assert adam.iterations == 0
    np.testing.assert_array_equal(adam.get_state()["momentum"], np.zeros(N, np.float32))


def test_set_state_refuses_a_state_for_other_settings():
    amsgrad = optimizers.Adam(amsgrad=True)
    amsgrad.build(4)
    with pytest.raises(ConfigError, match="velocity_hat"):
        optimizers.Adam().set_state(amsgrad.get_state())
    adam = optimizers.Adam()
    adam.build(4)
    state = adam.get_state()
    state["velocity"] = np.zeros(5, np.float32)
    with pytest.raises(ConfigError, match="different sizes"):
        optimizers.Adam().set_state(state)
    built = optimizers.Adam()
    built.build(5)
    with pytest.raises(ConfigError, match="state is for 4 parameters but this optimizer was built for 5"):
        built.set_state(adam.get_state())


def test_build_keeps_state_for_the_same_size_and_starts_over_for_another():
    adagrad = optimizers.Adagrad(initial_accumulator_value=0.25)
    w, grads = problem()
    adagrad.apply(w, grads[0])
    adagrad.build(N)
    assert adagrad.iterations == 1
    adagrad.build(N + 1)
    assert adagrad.iterations == 0
    np.testing.assert_array_equal(adagrad.get_state()["accumulator"], np.full(N + 1, 0.25, np.float32))


def test_apply_refuses_arrays_it_cannot_update():
    adam = optimizers.Adam()
    adam.build(N)
    w, grads = problem()
    with pytest.raises(ShapeError, match=f"built for {N} parameters but got {N - 1}"):
        adam.apply(w[:-1].copy(), grads[0][:-1].copy())
    with pytest.raises(ShapeError, match="float32"):
        adam.apply(w.astype(np.float64), grads[0])
    with pytest.raises(ShapeError, match="contiguous"):
        adam.apply(np.ones(2 * N, np.float32)[::2], grads[0])
    assert adam.iterations == 0


def test_clipping_leaves_the_gradients_untouched():
    w, grads = problem()
    g = grads[0].copy()
    optimizers.SGD(global_clipnorm=0.1).apply(w, g)
    optimizers.SGD(clipvalue=0.1).apply(w, g)
    np.testing.assert_array_equal(g, grads[0])


def test_non_finite_gradient_norm_poisons_the_update_as_in_keras():
    w, grads = problem()
    g = grads[0].copy()
    g[0] = np.inf
    optimizers.SGD(global_clipnorm=1.0).apply(w, g)
    assert np.all(np.isnan(w))
