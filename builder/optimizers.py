"""Optimizers with Keras 3's defaults and update rules, over one flat parameter vector.

The model keeps every trainable parameter in one flat float32 vector and the gradients in
another, so a step is one kernel call (`kernels.optimizers`) whatever the number of layers:
per-batch overhead matters more than anything else for the small models SeqStudio trains.

Each optimizer declares its arguments once in `PARAMS` (validated like layer arguments, and
readable by the studio's compile dialog). Besides Keras 3's options `clipvalue` and
`global_clipnorm`, the legacy spellings of the R guide and Keras 2 are accepted: `lr=` for
`learning_rate` and `decay=` (time-based: lr / (1 + decay * iterations)).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from kernels import optimizers as K
from kernels.dense import EMPTY

from .errors import ConfigError, ShapeError
from .params import Param

_COMMON_PARAMS = (
    Param("decay", "float", 0.0, low=0.0,
          help="legacy time-based decay: lr / (1 + decay * iterations)"),
    Param("clipvalue", "float", None, low=0.0, low_inclusive=False,
          help="clip each gradient element to [-clipvalue, clipvalue]"),
    Param("global_clipnorm", "float", None, low=0.0, low_inclusive=False,
          help="scale all gradients so that their global L2 norm is at most this"),
)

# Keys of a Keras 3 optimizer config that mean nothing here at these values.
_KERAS_NEUTRAL = {
    "weight_decay": None,
    "clipnorm": None,
    "use_ema": False,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_KERAS_IGNORED = ("name", "ema_momentum")


def _learning_rate(default: float) -> Param:
    return Param("learning_rate", "float", default, low=0.0, low_inclusive=False,
                 help="step size")


def _unit(name: str, default: float, help: str, closed: bool = False) -> Param:
    """A coefficient in [0, 1) (or [0, 1] when closed)."""
    return Param(name, "float", default, low=0.0, high=1.0, high_inclusive=closed, help=help)


def _epsilon() -> Param:
    return Param("epsilon", "float", 1e-7, low=0.0, help="small constant for numerical stability")


def _check(owner: str, param: Param, value: Any) -> Any:
    """Param.check, letting None through for arguments whose default is None."""
    if value is None and param.default is None:
        return None
    return param.check(owner, value)


class Optimizer:
    """Base of every optimizer: arguments, slots, clipping, legacy decay, state.

    Subclasses declare PARAMS (learning_rate first, then their own, then the common ones),
    `_slot_initial_values()` and `_update()`, which calls one kernel.
    """

    PARAMS: ClassVar[tuple[Param, ...]] = ()
    #: the PARAMS fixed at construction (all but learning_rate)
    _SETTINGS: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls._SETTINGS = frozenset(p.name for p in cls.PARAMS) - {"learning_rate"}

    def __init__(self, *args: Any, lr: Any = None, **kwargs: Any):
        cls = type(self).__name__
        if len(args) > len(self.PARAMS):
            raise ConfigError(
                f"{cls}: takes at most {len(self.PARAMS)} positional arguments, got {len(args)}"
            )
        values = dict(zip((p.name for p in self.PARAMS), args))
        for key, value in kwargs.items():
            if key in values:
                raise ConfigError(f"{cls}: got two values for argument {key!r}")
            values[key] = value
        if lr is not None:
            if "learning_rate" in values:
                raise ConfigError(f"{cls}: give learning_rate or its legacy alias lr, not both")
            values["learning_rate"] = lr
        known = [p.name for p in self.PARAMS]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"{cls}: unknown argument {unknown[0]!r}; it takes {', '.join(known)} (or lr)")
        for param in self.PARAMS:
            value = _check(cls, param, values[param.name]) if param.name in values else param.default
            object.__setattr__(self, "_learning_rate" if param.name == "learning_rate" else param.name, value)
        if self.clipvalue is not None and self.global_clipnorm is not None:
            raise ConfigError(
                f"{cls}: give only one of clipvalue and global_clipnorm, got "
                f"clipvalue={self.clipvalue!r} and global_clipnorm={self.global_clipnorm!r}"
            )
        self.iterations = 0
        self.size: int | None = None
        self._slots: dict[str, np.ndarray] = {}
        self._reset_scalars()

    def __setattr__(self, name: str, value: Any) -> None:
        # The slots were shaped by these settings (momentum, centered, amsgrad ...).
        if name in self._SETTINGS:
            raise AttributeError(
                f"{type(self).__name__}: {name} is fixed at construction; create a new optimizer "
                "(only learning_rate may change during training)"
            )
        object.__setattr__(self, name, value)

    # -- learning rate ---------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._learning_rate = self.PARAMS[0].check(type(self).__name__, value)

    def current_learning_rate(self) -> float:
        """The rate the next update uses: learning_rate / (1 + decay * iterations)."""
        if self.decay:
            return self._learning_rate / (1.0 + self.decay * self.iterations)
        return self._learning_rate

    # -- slots -----------------------------------------------------------------------------
    def _slot_initial_values(self) -> dict[str, float]:
        """Slot name -> initial value, for the slots these settings need."""
        return {}

    def _reset_scalars(self) -> None:
        """Reset per-run scalar state kept beside the slots (Nadam's momentum product)."""

    def _scalar_state(self) -> dict[str, float]:
        return {}

    def build(self, size: int) -> None:
        """Allocate the slots for a flat vector of `size` parameters. Building again with
        another size starts over (iterations too); with the same size it changes nothing."""
        size = Param("size", "int", low=0).check(type(self).__name__, size)
        if size == self.size:
            return
        if self.size is not None:
            self.iterations = 0
            self._reset_scalars()
        self._slots = self._fresh_slots(size)
        self.size = size

    def _fresh_slots(self, size: int) -> dict[str, np.ndarray]:
        return {name: np.full(size, initial, dtype=np.float32)
                for name, initial in self._slot_initial_values().items()}

    @property
    def built(self) -> bool:
        return self.size is not None

    # -- the update ------------------------------------------------------------------------
    def apply(self, params: np.ndarray, grads: np.ndarray) -> None:
        """One update of the flat float32 `params` in place from `grads` (left unchanged)."""
        if not (params.dtype == np.float32 and grads.dtype == np.float32 and params.ndim == 1
                and grads.shape == params.shape and params.flags.c_contiguous
                and grads.flags.c_contiguous):
            raise ShapeError(
                f"{type(self).__name__}: apply needs two flat float32 contiguous arrays of the same "
                f"size, got {params.dtype}{params.shape} and {grads.dtype}{grads.shape}"
            )
        if self.size is None:
            self.build(params.shape[0])
        elif params.shape[0] != self.size:
            raise ShapeError(
                f"{type(self).__name__}: built for {self.size} parameters but got {params.shape[0]}; "
                "call build() with the new size to start over"
            )
        scale = 1.0
        if self.global_clipnorm is not None:
            scale = _global_clip_scale(K.squared_norm(grads), self.global_clipnorm)
        clip = self.clipvalue or 0.0
        self._update(K, self._slot, params, grads, scale, clip, self.current_learning_rate(), self.iterations + 1)
        self.iterations += 1

    def _slot(self, name: str) -> np.ndarray:
        return self._slots.get(name, EMPTY)

    def _update(self, kernels, slot, params, grads, scale: float, clip: float, lr: float, step: int) -> None:
        """One step of this optimizer's rule through `kernels` (kernels.optimizers, or its CUDA
        twin kernels.cuda.optimizers: same functions and signatures), on the slot arrays that
        `slot(name)` gives (an empty array for a slot these settings do without). The per-step
        scalars (bias corrections, Nadam's schedule) are computed here once for both devices."""
        raise NotImplementedError

    # -- config and state ------------------------------------------------------------------
    def get_config(self) -> dict:
        return {p.name: getattr(self, p.name) for p in self.PARAMS}

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        """A new optimizer from `get_config()` output (Keras 3's config keys are accepted
        where they hold settings SeqStudio does not use)."""
        if not isinstance(config, dict):
            raise ConfigError(f"{cls.__name__}: config must be a mapping, got {type(config).__name__}")
        config = dict(config)
        for key in _KERAS_IGNORED:
            config.pop(key, None)
        for key, neutral in _KERAS_NEUTRAL.items():
            if key in config:
                value = config.pop(key)
                if value != neutral:
                    raise ConfigError(f"{cls.__name__}: {key}={value!r} is not supported by SeqStudio")
        return cls(**config)

    def get_state(self) -> dict[str, Any]:
        """Copies of the slots, the iteration count and scalar state, to resume training."""
        state: dict[str, Any] = {"iterations": self.iterations}
        state.update({name: slot.copy() for name, slot in self._slots.items()})
        state.update(self._scalar_state())
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what `get_state` returned (from an optimizer with the same settings). A
        state taken before the first build has no slots: the slots then start afresh."""
        cls = type(self).__name__
        slot_names = set(self._slot_initial_values())
        required = {"iterations", *self._scalar_state()}
        if set(state) not in (required, required | slot_names):
            raise ConfigError(
                f"{cls}: state has keys {sorted(state)} but these settings need "
                f"{sorted(required | slot_names)}"
            )
        slots = {name: np.asarray(state[name]) for name in slot_names if name in state}
        for name, slot in slots.items():
            if slot.dtype.kind not in "biuf":
                raise ConfigError(f"{cls}: state slot {name!r} holds {slot.dtype} values, not numbers")
        slots = {name: np.ascontiguousarray(slot, dtype=np.float32).ravel() for name, slot in slots.items()}
        sizes = {slot.shape[0] for slot in slots.values()}
        if len(sizes) > 1:
            raise ConfigError(f"{cls}: state slots have different sizes {sorted(sizes)}")
        if sizes and self.size is not None and sizes != {self.size}:
            raise ConfigError(f"{cls}: state is for {sizes.pop()} parameters but this optimizer "
                              f"was built for {self.size}")
        iterations = Param("iterations", "int", low=0).check(cls, _scalar(state["iterations"]))
        scalars = {name: Param(name, "float").check(cls, _scalar(state[name]))
                   for name in self._scalar_state()}
        if slots:
            self.size = sizes.pop()
            self._slots = {name: slot.copy() for name, slot in slots.items()}
        elif self.size is not None:
            self._slots = self._fresh_slots(self.size)
        self.iterations = iterations
        for name, value in scalars.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        common = {p.name: p.default for p in _COMMON_PARAMS}
        shown = [
            f"{p.name}={getattr(self, p.name)!r}"
            for p in self.PARAMS
            if p.name not in common or getattr(self, p.name) != common[p.name]
        ]
        return f"{type(self).__name__}({', '.join(shown)})"


def _scalar(value: Any) -> Any:
    """A 0-d array (as read back from an .npz file) as its Python scalar."""
    return value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _global_clip_scale(squared_norm: float, clipnorm: float) -> float:
    """Keras's clip_by_global_norm factor: min(1, clipnorm / norm); NaN for a non-finite norm."""
    norm = math.sqrt(squared_norm)
    if not math.isfinite(norm):
        return math.nan
    return clipnorm / norm if norm > clipnorm else 1.0


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum."""

    PARAMS = (
        _learning_rate(0.01),
        _unit("momentum", 0.0, "accelerates descent along consistent directions", closed=True),
        Param("nesterov", "bool", False, help="use Nesterov momentum"),
        *_COMMON_PARAMS,
    )

    def _slot_initial_values(self):
        return {"momentum": 0.0} if self.momentum != 0 else {}

    def _update(self, kernels, slot, params, grads, scale, clip, lr, step):
        kernels.sgd_update(params, grads, scale, clip, lr, self.momentum, self.nesterov, slot("momentum"))


class RMSprop(Optimizer):
    """Divides the gradient by a moving root mean square of recent gradients."""

    PARAMS = (
        _learning_rate(0.001),
        _unit("rho", 0.9, "discount of the moving average of squared gradients"),
        _unit("momentum", 0.0, "momentum of the update", closed=True),
        _epsilon(),
        Param("centered", "bool", False, help="normalise by the estimated variance of the gradient"),
        *_COMMON_PARAMS,
    )

    def _slot_initial_values(self):
        slots = {"velocity": 0.0}
        if self.momentum > 0:
            slots["momentum"] = 0.0
        if self.centered:
            slots["average_gradient"] = 0.0
        return slots

    def _update(self, kernels, slot, params, grads, scale, clip, lr, step):
        kernels.rmsprop_update(params, grads, scale, clip, lr, self.rho, self.epsilon, self.momentum, self.centered,
                               slot("velocity"), slot("average_gradient"), slot("momentum"))


class Adagrad(Optimizer):
    """Per-parameter rates that shrink with the sum of squared past gradients."""

    PARAMS = (
        _learning_rate(0.001),
        Param("initial_accumulator_value", "float", 0.1, low=0.0,
              help="starting value of the squared-gradient sums"),
        _epsilon(),
        *_COMMON_PARAMS,
    )

    def _slot_initial_values(self):
        return {"accumulator": self.initial_accumulator_value}

    def _update(self, kernels, slot, params, grads, scale, clip, lr, step):
        kernels.adagrad_update(params, grads, scale, clip, lr, self.epsilon, slot("accumulator"))


class Adam(Optimizer):
    """Adaptive moment estimation, with the optional AMSGrad variant."""

    PARAMS = (
        _learning_rate(0.001),
        _unit("beta_1", 0.9, "decay of the first-moment estimate"),
        _unit("beta_2", 0.999, "decay of the second-moment estimate"),
        _epsilon(),
        Param("amsgrad", "bool", False, help="use the running maximum of the second moment"),
        *_COMMON_PARAMS,
    )

    def _slot_initial_values(self):
        slots = {"momentum": 0.0, "velocity": 0.0}
        if self.amsgrad:
            slots["velocity_hat"] = 0.0
        return slots

    def _update(self, kernels, slot, params, grads, scale, clip, lr, step):
        alpha = lr * math.sqrt(1.0 - self.beta_2 ** step) / (1.0 - self.beta_1 ** step)
        kernels.adam_update(params, grads, scale, clip, alpha, self.beta_1, self.beta_2, self.epsilon,
                            self.amsgrad, slot("momentum"), slot("velocity"), slot("velocity_hat"))


class Adadelta(Optimizer):
    """Rates from moving windows of gradient and update magnitudes."""

    PARAMS = (
        _learning_rate(0.001),
        _unit("rho", 0.95, "decay of the moving averages"),
        _epsilon(),
        *_COMMON_PARAMS,
    )

    def _slot_initial_values(self):
        return {"accumulated_grad": 0.0, "accumulated_delta_var": 0.0}

    def _update(self, kernels, slot, params, grads, scale, clip, lr, step):
        kernels.adadelta_update(params, grads, scale, clip, lr, self.rho, self.epsilon,
                                slot("accumulated_grad"), slot("accumulated_delta_var"))


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the second moment."""

    PARAMS = (
        _learning_rate(0.001),
        _unit("beta_1", 0.9, "decay of the first-moment estimate"),
        _unit("beta_2", 0.999, "decay of the weighted infinity norm"),
        _epsilon(),
        *_COMMON_PARAMS,
    )

    def _slot_initial_values(self):
        return {"momentum": 0.0, "norm": 0.0}

    def _update(self, kernels, slot, params, grads, scale, clip, lr, step):
        kernels.adamax_update(params, grads, scale, clip, lr, self.beta_1, self.beta_2, self.epsilon,
                              1.0 - self.beta_1 ** step, slot("momentum"), slot("norm"))


class Nadam(Optimizer):
    """Adam with Nesterov momentum, on Keras 3's momentum schedule
    u_t = beta_1 * (1 - 0.5 * 0.96 ** t)."""

    PARAMS = (
        _learning_rate(0.001),
        _unit("beta_1", 0.9, "decay of the first-moment estimate"),
        _unit("beta_2", 0.999, "decay of the second-moment estimate"),
        _epsilon(),
        *_COMMON_PARAMS,
    )

    def _slot_initial_values(self):
        return {"momentum": 0.0, "velocity": 0.0}

    def _reset_scalars(self):
        self.u_product = 1.0

    def _scalar_state(self):
        return {"u_product": self.u_product}

    def _update(self, kernels, slot, params, grads, scale, clip, lr, step):
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** step)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
        self.u_product *= u_t
        m_coef = u_next / (1.0 - self.u_product * u_next)
        g_coef = (1.0 - u_t) / (1.0 - self.u_product)
        kernels.nadam_update(params, grads, scale, clip, lr, self.beta_1, self.beta_2, self.epsilon,
                             m_coef, g_coef, 1.0 - self.beta_2 ** step, slot("momentum"), slot("velocity"))


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adagrad, Adam, Adadelta, Adamax, Nadam)
}
"""Every optimizer by its lower-case name, in the order the studio lists them."""


def _class_named(name: str) -> type[Optimizer]:
    try:
        return OPTIMIZERS[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown optimizer {name!r}; expected one of {', '.join(map(repr, OPTIMIZERS))}"
        ) from None


def get(identifier: Any) -> Optimizer:
    """An optimizer from a name ("adam", case-insensitive, with Keras's defaults), a
    serialized dict, or an Optimizer (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _class_named(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ConfigError(
        f"invalid optimizer {identifier!r}; expected one of {', '.join(map(repr, OPTIMIZERS))} "
        "or an Optimizer"
    )


def serialize(optimizer: Optimizer) -> dict:
    """{"class_name": ..., "config": ...}, as Keras writes it."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(data: dict) -> Optimizer:
    """The optimizer `serialize` described (Keras's extra keys, like "module", are ignored)."""
    if not isinstance(data, dict) or not isinstance(data.get("class_name"), str):
        raise ConfigError(f"invalid serialized optimizer {data!r}: expected a dict with 'class_name'")
    return _class_named(data["class_name"]).from_config(data.get("config") or {})
