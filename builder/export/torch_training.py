"""The training half of the PyTorch script: the optimizer with Keras's update rule, the loss
with Keras's numerics, the metrics, and the loop (DistributedDataParallel under torchrun).

Where a torch.optim optimizer follows Keras's rule, it is used with the hyper-parameters mapped
(Adam's epsilon 1e-7 is torch's eps=1e-7; Nadam's schedule is momentum_decay=1.0). torch's
RMSprop (whose alpha is Keras's rho) and Adagrad add epsilon outside the square root where Keras
adds it inside, so those two are written out as small optimizers in the script; the remaining
differences (Adam's and Adamax's epsilon placement) are said in a comment beside the optimizer.
"""

from __future__ import annotations

from ..errors import ConfigError
from .names import literal
from .torch_layers import activation_code

EPSILON = 1e-7
"""Keras's backend epsilon, which its losses clip probabilities with."""

_KERAS_RMSPROP = '''
class KerasRMSprop(torch.optim.Optimizer):
    """RMSprop as Keras 3 computes it: epsilon inside the square root (torch.optim.RMSprop adds
    it outside), and momentum accumulating learning-rate-scaled steps."""

    def __init__(self, params, lr, rho, momentum, epsilon, centered):
        super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, epsilon=epsilon, centered=centered))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            rho = group["rho"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(velocity=torch.zeros_like(p), average=torch.zeros_like(p), momentum=torch.zeros_like(p))
                g = p.grad
                velocity = state["velocity"].mul_(rho).addcmul_(g, g, value=1 - rho)
                denominator = velocity + group["epsilon"]
                if group["centered"]:
                    average = state["average"].mul_(rho).add_(g, alpha=1 - rho)
                    denominator = denominator - average * average
                increment = group["lr"] * g / denominator.sqrt()
                if group["momentum"] > 0:
                    increment = state["momentum"].mul_(group["momentum"]).add_(increment)
                p.sub_(increment)
'''

_KERAS_ADAGRAD = '''
class KerasAdagrad(torch.optim.Optimizer):
    """Adagrad as Keras 3 computes it: epsilon inside the square root (torch.optim.Adagrad adds
    it outside)."""

    def __init__(self, params, lr, initial_accumulator_value, epsilon):
        super().__init__(params, dict(lr=lr, initial=initial_accumulator_value, epsilon=epsilon))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["accumulator"] = torch.full_like(p, group["initial"])
                accumulator = state["accumulator"].addcmul_(p.grad, p.grad)
                p.sub_(group["lr"] * p.grad / (accumulator + group["epsilon"]).sqrt())
'''


def optimizer_parts(optimizer) -> tuple[str, str, list[str]]:
    """(helper class source or "", make_optimizer's body expression, comment lines)."""
    config = optimizer.get_config()
    kind = type(optimizer).__name__
    lr = literal(config["learning_rate"])
    betas = f"betas=({literal(config.get('beta_1'))}, {literal(config.get('beta_2'))})"
    eps = f"eps={literal(config.get('epsilon'))}"
    comments: list[str] = []
    helper = ""
    if kind == "SGD":
        momentum = config["momentum"]
        extra = f", momentum={literal(momentum)}, nesterov={literal(config['nesterov'])}" if momentum else ""
        code = f"torch.optim.SGD(parameters, lr={lr}{extra})"
        if momentum:
            comments.append("torch's momentum buffer leaves out the learning rate that Keras's includes: the "
                            "same steps while the rate is constant.")
    elif kind == "RMSprop":
        helper = _KERAS_RMSPROP
        code = (f"KerasRMSprop(parameters, lr={lr}, rho={literal(config['rho'])}, momentum={literal(config['momentum'])}, "
                f"epsilon={literal(config['epsilon'])}, centered={literal(config['centered'])})")
    elif kind == "Adagrad":
        helper = _KERAS_ADAGRAD
        code = (f"KerasAdagrad(parameters, lr={lr}, initial_accumulator_value="
                f"{literal(config['initial_accumulator_value'])}, epsilon={literal(config['epsilon'])})")
    elif kind == "Adam":
        code = f"torch.optim.Adam(parameters, lr={lr}, {betas}, {eps}, amsgrad={literal(config['amsgrad'])})"
        comments.append("torch adds eps to the bias-corrected sqrt(v), Keras to sqrt(v) before the "
                        "correction: the same steps up to a difference in eps of a factor sqrt(1 - beta_2**t).")
    elif kind == "Adadelta":
        code = f"torch.optim.Adadelta(parameters, lr={lr}, rho={literal(config['rho'])}, {eps})"
    elif kind == "Adamax":
        code = f"torch.optim.Adamax(parameters, lr={lr}, {betas}, {eps})"
        comments.append("torch adds eps inside the running maximum of |g|, Keras after it: steps differ only "
                        "where gradients are about as small as eps.")
    elif kind == "Nadam":
        code = f"torch.optim.NAdam(parameters, lr={lr}, {betas}, {eps}, momentum_decay=1.0)"
        comments.append("momentum_decay=1.0 gives Keras's momentum schedule beta_1 * (1 - 0.5 * 0.96**t).")
    else:
        raise ConfigError(f"optimizer {kind}: the PyTorch export has no translation for it")
    return helper.strip(), code, comments


def loss_parts(loss, fused: bool, final_activation: str | None) -> tuple[str, list[str]]:
    """(loss_fn's body lines, docstring) matching Keras's loss `loss` on the model's output,
    which holds logits when `fused`."""
    name = loss.name
    config = loss.get_config()
    smoothing = config.get("label_smoothing", 0.0)
    logits = fused or config.get("from_logits", False)
    if name == "categorical_crossentropy" and logits:
        extra = f", label_smoothing={literal(smoothing)}" if smoothing else ""
        return [f"return F.cross_entropy(output.flatten(0, -2), target.flatten(0, -2){extra})"], \
            "Categorical cross-entropy on logits (one-hot or soft targets)."
    if name == "categorical_crossentropy":
        lines = ["probabilities = (output / output.sum(-1, keepdim=True)).clamp(EPSILON, 1 - EPSILON)"]
        if smoothing:
            lines.append(f"target = target * (1 - {literal(smoothing)}) + {literal(smoothing)} / target.shape[-1]")
        return lines + ["return -(target * probabilities.log()).sum(-1).mean()"], \
            "Categorical cross-entropy on probabilities, clipped as Keras clips them."
    if name == "sparse_categorical_crossentropy" and logits:
        return ["return F.cross_entropy(output.flatten(0, -2), target.flatten())"], \
            "Sparse categorical cross-entropy on logits (class indices)."
    if name == "sparse_categorical_crossentropy":
        return ["probabilities = (output / output.sum(-1, keepdim=True)).clamp(EPSILON, 1 - EPSILON)",
                "return F.nll_loss(probabilities.log().flatten(0, -2), target.flatten())"], \
            "Sparse categorical cross-entropy on probabilities, clipped as Keras clips them."
    if name == "binary_crossentropy":
        lines = [f"target = target * (1 - {literal(smoothing)}) + {literal(0.5 * smoothing)}"] if smoothing else []
        if logits:
            return lines + ["return F.binary_cross_entropy_with_logits(output, target)"], \
                "Binary cross-entropy on logits."
        return lines + ["return F.binary_cross_entropy(output.clamp(EPSILON, 1 - EPSILON), target)"], \
            "Binary cross-entropy on probabilities, clipped as Keras clips them."
    simple = {
        "mean_squared_error": (["return F.mse_loss(output, target)"], "Mean squared error."),
        "mean_absolute_error": (["return F.l1_loss(output, target)"], "Mean absolute error."),
        "huber": ([f"return F.huber_loss(output, target, delta={literal(config.get('delta', 1.0))})"], "Huber loss."),
        "kl_divergence": (["target, output = target.clamp(EPSILON, 1), output.clamp(EPSILON, 1)",
                           "return (target * (target / output).log()).sum(-1).mean()"],
                          "Kullback-Leibler divergence, clipped as Keras clips it."),
        "hinge": (["if ((target == 0) | (target == 1)).all():  # 0/1 labels as -1/1, as Keras reads them",
                   "    target = 2 * target - 1",
                   "return F.relu(1 - target * output).mean()"], "Hinge loss for -1/1 (or 0/1) labels."),
        "poisson": (["return (output - target * torch.log(output + EPSILON)).mean()"], "Poisson loss."),
    }
    if name not in simple:
        raise ConfigError(f"loss {name!r}: the PyTorch export has no translation for it")
    return simple[name]


def accuracy_kind(metric: str, loss_name: str, output_units: int) -> str:
    """Keras's reading of a metric name: "accuracy" depends on the loss and the output."""
    if metric not in ("accuracy", "acc"):
        return metric
    if output_units == 1 or loss_name == "binary_crossentropy":
        return "binary_accuracy"
    if loss_name == "sparse_categorical_crossentropy":
        return "sparse_categorical_accuracy"
    return "categorical_accuracy"


_METRIC_CODE = {
    "binary_accuracy": "((output > 0.5) == (target > 0.5)).float()",
    "categorical_accuracy": "(output.argmax(-1) == target.argmax(-1)).float()",
    "sparse_categorical_accuracy": "(output.argmax(-1) == target).float()",
    "mean_squared_error": "(output - target).square()",
    "mse": "(output - target).square()",
    "mean_absolute_error": "(output - target).abs()",
    "mae": "(output - target).abs()",
}


def metric_parts(metrics, loss_name: str, output_units: int) -> tuple[list[str], list[str], list[str]]:
    """(printed names, per-sample expressions on probabilities `output`, names left out)."""
    names, expressions, left_out = [], [], []
    for metric in metrics:
        kind = accuracy_kind(metric, loss_name, output_units)
        if kind in _METRIC_CODE:
            names.append(metric)
            expressions.append(_METRIC_CODE[kind])
        else:
            left_out.append(metric)
    return names, expressions, left_out


def probabilities_code(fused: bool, final_activation: str | None, loss) -> str:
    """The model's predictions (probabilities) from what the training step's forward returned:
    logits when the activation is fused or the model itself ends in logits (from_logits)."""
    if fused:
        return activation_code(final_activation, "output.detach()")
    if loss.get_config().get("from_logits", False):
        return activation_code("sigmoid" if loss.name == "binary_crossentropy" else "softmax", "output.detach()")
    return "output.detach()"
