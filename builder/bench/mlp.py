"""The seed's two MLPs (1,000 x 20 dummy samples, batch 128), trained by SeqStudio and, when
PyTorch is installed, by the same loop in PyTorch on the CPU; samples per second for each."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import Sequential, layers, optimizers, set_random_seed, to_categorical

SAMPLES, FEATURES, BATCH = 1000, 20, 128


@dataclass
class Case:
    name: str
    classes: int  # 1: binary sigmoid

    def data(self):
        rng = np.random.default_rng(0)
        x = rng.random((SAMPLES, FEATURES), dtype=np.float32)
        if self.classes == 1:
            return x, rng.integers(0, 2, (SAMPLES, 1)).astype(np.float32)
        return x, to_categorical(rng.integers(0, self.classes, SAMPLES), self.classes)


CASES = (Case("mlp-softmax (SGD nesterov)", 10), Case("mlp-binary (RMSprop)", 1))


def _seqstudio_model(case: Case, device: str) -> Sequential:
    set_random_seed(0)
    model = Sequential([
        layers.Dense(64, activation="relu", input_shape=(FEATURES,)),
        layers.Dropout(0.5),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(case.classes, activation="sigmoid" if case.classes == 1 else "softmax"),
    ])
    if case.classes == 1:
        model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"], device=device)
    else:
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"], device=device,
                      optimizer=optimizers.SGD(learning_rate=0.01, decay=1e-6, momentum=0.9, nesterov=True))
    return model


def time_seqstudio(case: Case, epochs: int, device: str = "cpu") -> float:
    x, y = case.data()
    model = _seqstudio_model(case, device)
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)  # compiles or loads kernels
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=BATCH, verbose=0)
    return epochs * SAMPLES / (time.perf_counter() - start)


def time_pytorch(case: Case, epochs: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    nn = torch.nn
    out = case.classes
    model = nn.Sequential(
        nn.Linear(FEATURES, 64), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(64, out), nn.Sigmoid() if out == 1 else nn.Softmax(dim=1),
    )
    if out == 1:
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
        loss_fn = nn.BCELoss()
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)

        def loss_fn(p, t):
            return -(t * torch.log(p.clamp(1e-7, 1 - 1e-7))).sum(dim=1).mean()

    x_np, y_np = case.data()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def epoch():
        order = torch.randperm(SAMPLES)
        for start in range(0, SAMPLES, BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()

    epoch()
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return epochs * SAMPLES / (time.perf_counter() - start)


def run(epochs: int = 30, repeats: int = 3, print_fn=print, device: str = "cpu") -> list[tuple[str, float, float | None]]:
    """Best-of-`repeats` samples/s for each case; prints a table and returns its rows."""
    rows = []
    print_fn(f"{'model':<30} {'SeqStudio':>14} {'PyTorch CPU':>14} {'ratio':>7}")
    for case in CASES:
        ours = max(time_seqstudio(case, epochs, device) for _ in range(repeats))
        theirs = [time_pytorch(case, epochs) for _ in range(repeats)]
        best = None if theirs[0] is None else max(theirs)
        ratio = f"{ours / best:6.2f}x" if best else "     -"
        torch_text = f"{best:>10,.0f} s/s" if best else "not installed"
        print_fn(f"{case.name:<30} {ours:>10,.0f} s/s {torch_text:>14} {ratio:>7}")
        rows.append((case.name, ours, best))
    return rows
