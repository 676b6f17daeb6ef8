"""The PyTorch 2 target: an `nn.Module` on channels-last inputs with the weights converted to
PyTorch's layouts, and an explicit training loop with the matching optimizer and loss that runs
unchanged under torchrun (DistributedDataParallel, a DistributedSampler, files from rank 0).

When the model ends in softmax (or sigmoid) and trains with the matching cross-entropy, the
module can return logits (`forward(x, logits=True)`) so that the loss is computed fused, as
PyTorch does it; `forward(x)` still returns the probabilities SeqStudio's model predicts.
"""

from __future__ import annotations

import textwrap

from .data_code import data_constants, data_kind, numpy_loader, resolved_path
from .names import identifier, literal
from .script import assemble, fit_summary, header
from .spec import ExportSpec
from .torch_layers import HELPERS, activation_code, torch_layer
from .torch_training import loss_parts, metric_parts, optimizer_parts, probabilities_code

TITLE = "PyTorch"

_FUSABLE = {("softmax", "categorical_crossentropy"), ("softmax", "sparse_categorical_crossentropy"),
            ("sigmoid", "binary_crossentropy")}


def _translated(spec: ExportSpec) -> list:
    """(attribute name, TorchLayer) per layer, attribute names made unique identifiers."""
    taken = {"forward", "training"}
    return [(attr, torch_layer(entry, attr)) for entry in spec.layers
            for attr in [identifier(entry.layer.name, taken)]]


def _fused(spec: ExportSpec, final_activation: str | None) -> bool:
    """Whether the last activation is left to the loss (fused cross-entropy on logits)."""
    return (final_activation, spec.loss.name) in _FUSABLE and not spec.loss.get_config().get("from_logits", False)


def _merge(forward: list[str], activation: str | None) -> list[str]:
    """The forward lines with the activation applied, folded into a single `x = ...` line."""
    if activation in (None, "linear"):
        return forward
    if len(forward) == 1 and forward[0].startswith("x = ") and "#" not in forward[0]:
        return [f"x = {activation_code(activation, forward[0][4:])}"]
    return [*forward, f"x = {activation_code(activation)}"]


def model_class(spec: ExportSpec, translated: list) -> tuple[str, bool, str | None]:
    """(the Model class source, whether it fuses its last activation, that activation)."""
    init, forward, notes, carried = [], [], [], []
    final = translated[-1][1].activation
    fused = _fused(spec, final)
    for index, ((attr, piece), entry) in enumerate(zip(translated, spec.layers)):
        for note in piece.notes:
            if note not in notes:
                notes.append(note)
                init += [f"# {line}" for line in textwrap.wrap(note, 92)]
        init += piece.init
        carried += piece.carried
        if not entry.layer.trainable:
            init += [f"{line.split(' = ')[0]}.requires_grad_(False)  # not trainable in the project"
                     for line in piece.init if line.startswith("self.")]
        last = index == len(translated) - 1
        forward += _merge(piece.forward, None if (last and fused) else piece.activation)
    if fused:
        forward += ["if logits:",
                    f"    return x  # {final} left to the loss, which takes logits (more stable)",
                    f"return {activation_code(final)}"]
        signature, doc = "def forward(self, x, logits=False):", (
            f"The model's predictions; logits=True leaves out the final {final} (for training).")
    else:
        forward.append("return x")
        signature, doc = "def forward(self, x):", "The model's predictions."
    lines = [
        "class Model(nn.Module):",
        '    """The SeqStudio model as a PyTorch module. It takes channels-last inputs, laid out as',
        '    Keras and SeqStudio lay them out: (batch, steps, channels) or (batch, height, width,',
        '    channels)."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        *(f"        {line}" for line in init),
        "",
        f"    {signature}",
        f'        """{doc}"""',
        *(f"        {line}" for line in forward),
    ]
    if carried:
        lines += ["", "    def reset_states(self):",
                  '        """Forget what the stateful layers carry, as Keras\'s model.reset_states() does."""',
                  *(f"        self.{name} = None" for name in carried)]
    return "\n".join(lines), fused, final


COUNT_PARAMS = '''
def count_params(model):
    """Parameters plus BatchNorm's moving statistics: the total of SeqStudio's summary."""
    moving = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    return sum(p.numel() for p in model.parameters()) + moving
'''

LOAD_WEIGHTS = '''
def load_weights(model, path=WEIGHTS_FILE):
    """The exported weights, already in PyTorch's layouts, keyed as in model.state_dict()."""
    with np.load(path, allow_pickle=False) as saved:
        model.load_state_dict({key: torch.from_numpy(saved[key]) for key in saved.files})
'''

TRAINING = '''
def batch_totals(loss, output, target):
    """[samples, loss sum, one sum per metric] of a batch, so that epochs report sample means."""
    count = len(target)
    sums = [value.reshape(count, -1).mean(1).sum() for value in metric_values(output, target)]
    return torch.stack([loss.new_tensor(count), loss.detach() * count, *sums]).double()


def report(totals, prefix=""):
    """Epoch means as Keras prints them: "loss: 0.1234 - accuracy: 0.9876"."""
    means = (totals[1:] / totals[0]).tolist()
    return " - ".join(f"{prefix}{name}: {value:.4f}" for name, value in zip(("loss", *METRICS), means))


@torch.no_grad()
def evaluate(model, data, device):
    """Loss and metrics of the model on (x, y), in batches."""
    model.eval()
    x, y = (torch.from_numpy(a) for a in data)
    totals = 0
    for start in range(0, {eval_stop}, BATCH_SIZE):
        inputs, target = x[start:start + BATCH_SIZE].to(device), y[start:start + BATCH_SIZE].to(device)
        output = model(inputs{logits})
        totals = totals + batch_totals(loss_fn(output, target), {predictions}, target)
    return totals


def train(model, training, validation=None):
    """Fit as the project does: {fit}.

    Under torchrun (WORLD_SIZE > 1) each process trains on its own shard of the data (a
    DistributedSampler) and DistributedDataParallel averages the gradients: BATCH_SIZE is then
    the batch of each process. Only rank 0 prints and writes files.{stateful}
    """
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    device = torch.device("cpu")
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    model.to(device)
    network = DistributedDataParallel(model) if distributed else model
    dataset = TensorDataset(torch.from_numpy(training[0]), torch.from_numpy(training[1]))
    sampler = DistributedSampler(dataset, shuffle=SHUFFLE, seed=0 if SEED is None else SEED) if distributed else None
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=SHUFFLE and sampler is None, sampler=sampler{drop_last})
    optimizer = make_optimizer(model.parameters()){schedule_setup}
    for epoch in range(EPOCHS):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        totals = 0
        for inputs, target in loader:
            inputs, target = inputs.to(device), target.to(device)
            optimizer.zero_grad()
            output = network(inputs{logits})
            loss = loss_fn(output, target)
            loss.backward(){clipping}
            optimizer.step(){schedule_step}
            totals = totals + batch_totals(loss, {predictions}, target)
        if distributed:
            dist.all_reduce(totals)
        if rank == 0:
            logs = report(totals)
            if validation is not None:
                logs += " - " + report(evaluate(model, validation, device), "val_")
            print(f"epoch {epoch + 1}/{EPOCHS} - {logs}")
    if rank == 0:
        torch.save(model.state_dict(), OUTPUT_FILE)
        print(f"saved the trained weights to {OUTPUT_FILE}")
    if distributed:
        dist.barrier()  # no rank tears the group down while another still saves or reports
        dist.destroy_process_group()
    return model
'''

MAIN = '''
if __name__ == "__main__":
    if SEED is not None:
        torch.manual_seed(SEED)
    model = build_model()
    if int(os.environ.get("RANK", "0")) == 0:
        print(model)
        print(f"{count_params(model):,} parameters")
    data_file = sys.argv[1] if len(sys.argv) > 1 else DATA_FILE
    if data_file is None:
        sys.exit(f"usage: python {Path(__file__).name} DATA_FILE (the project names no data file)")
    training, validation = training_data(data_file)
    train(model, training, validation)
'''


def _function(signature: str, doc: str, body: list[str]) -> str:
    return "\n".join([signature, f'    """{doc}"""', *(f"    {line}" for line in body)])


def _training_code(spec: ExportSpec, fused: bool, final: str | None) -> str:
    optimizer = spec.optimizer
    clipping = ""
    if optimizer.clipvalue is not None:
        clipping = f"\n            torch.nn.utils.clip_grad_value_(model.parameters(), {literal(optimizer.clipvalue)})"
    elif optimizer.global_clipnorm is not None:
        clipping = f"\n            torch.nn.utils.clip_grad_norm_(model.parameters(), {literal(optimizer.global_clipnorm)})"
    setup = step = ""
    if optimizer.decay:
        setup = ("\n    # Keras's legacy decay: the learning rate is lr / (1 + decay * iterations).\n"
                 f"    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1.0 + {literal(optimizer.decay)} * step))")
        step = "\n            schedule.step()"
    replacements = {
        "{fit}": fit_summary(spec),
        "{logits}": ", logits=True" if fused else "",
        "{predictions}": probabilities_code(fused, final, spec.loss),
        "{clipping}": clipping,
        "{schedule_setup}": setup,
        "{schedule_step}": step,
        "{drop_last}": ", drop_last=True" if spec.stateful else "",
        "{eval_stop}": "len(x) - len(x) % BATCH_SIZE" if spec.stateful else "len(x)",  # stateful: whole batches
        "{stateful}": ("\n\n    The model is stateful: sample i of each batch continues sample i of the one before, as in\n"
                       "    Keras. A DistributedSampler deals every WORLD_SIZE-th row to a process, so under torchrun\n"
                       "    the rows must be ordered for that (or train on one process).") if spec.stateful else "",
    }
    text = TRAINING.strip()
    for key, value in replacements.items():
        text = text.replace(key, value)
    return text


def generate(spec: ExportSpec, weights: bool) -> str:
    translated = _translated(spec)
    model_source, fused, final = model_class(spec, translated)
    helper, optimizer_code, optimizer_notes = optimizer_parts(spec.optimizer)
    loss_lines, loss_doc = loss_parts(spec.loss, fused, final)
    metric_names, metric_code, left_out = metric_parts(spec.metrics, spec.loss.name, spec.output_shape[-1])
    csv_import = "import csv\n" if data_kind(resolved_path(spec, spec.data.path)) == "csv" else ""
    what = ("with the exported weights loaded" if weights else
            "initialized as PyTorch initializes (export with --weights to start from the project's weights)")
    build = ["model = Model()", *(["load_weights(model)"] if weights else []), "return model"]
    metrics_doc = "Per metric in METRICS, its value for each sample of a batch of predictions."
    metric_body = ["return [", *(f"    {code}," for code in metric_code), "]"] if metric_code else ["return []"]
    prelude = [
        header(spec, TITLE, "A SeqStudio model as a PyTorch 2 script: build_model() returns the nn.Module,\n"
                            "training_data() reads the project's data, train() fits it as the project does (with\n"
                            "torchrun too). Running the file trains the model and saves its weights beside this\n"
                            "script; importing it runs nothing."),
        f"{csv_import}import os\nimport sys\nfrom pathlib import Path\n\nimport numpy as np\nimport torch\n"
        "import torch.distributed as dist\nimport torch.nn.functional as F\nfrom torch import nn\n"
        "from torch.nn.parallel import DistributedDataParallel\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "from torch.utils.data.distributed import DistributedSampler",
        ("WEIGHTS_FILE = Path(__file__).with_suffix(\".npz\")\n" if weights else "")
        + "OUTPUT_FILE = Path(__file__).with_suffix(\".pt\")\n"
        + data_constants(spec)
        + f"\nEPSILON = 1e-07  # Keras's epsilon, which its losses clip probabilities with\n"
        + f"METRICS = {literal(tuple(metric_names))}"
        + "".join(f"  # {literal(name)} is not exported" for name in left_out),
    ]
    helpers = sorted({name for _, piece in translated for name in piece.helpers})
    definitions = [
        *(HELPERS[name] for name in helpers),
        model_source,
        COUNT_PARAMS.strip(),
        _function("def build_model():", f"The model (an nn.Module), {what}.", build),
    ]
    if weights:
        definitions.append(LOAD_WEIGHTS.strip())
    if helper:
        definitions.append(helper)
    definitions += [
        _function("def make_optimizer(parameters):",
                  f"{type(spec.optimizer).__name__} with the project's settings, following Keras's update rule.",
                  [*(f"# {line}" for note in optimizer_notes for line in textwrap.wrap(note, 92)),
                   f"return {optimizer_code}"]),
        _function("def loss_fn(output, target):", loss_doc, loss_lines),
        _function("def metric_values(output, target):", metrics_doc, metric_body),
        numpy_loader(spec),
        _training_code(spec, fused, final),
        MAIN.strip(),
    ]
    return assemble(prelude, definitions)


def weight_arrays(spec: ExportSpec) -> dict:
    """The .npz contents build_model() loads: the state_dict in PyTorch's layouts."""
    arrays = {}
    for attr, piece in _translated(spec):
        arrays.update(piece.state())
    return arrays
