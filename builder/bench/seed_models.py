"""The seed guide's other models at its sizes, SeqStudio beside PyTorch CPU in one run:
VGG-like convnet, Conv1D sequence classifier, stacked LSTM, Embedding + LSTM.

Each row gives samples/s for both, their ratio, and for the convnets the achieved GFLOP/s
(multiply-adds x 2 of forward plus twice that for backward) against the float32 GEMM peak
that numpy reaches in the same run. Peak memory of the VGG-like training is measured in a
fresh process per framework (`python -m builder.bench.memory`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import Sequential, optimizers, set_random_seed, to_categorical
from ..catalog import layer_class
from ..errors import ConfigError


class _Catalog:
    """`L.Conv2D(...)` through the catalog: a missing layer family is a ConfigError."""

    def __getattr__(self, name):
        return layer_class(name)


_CATALOG = _Catalog()


@dataclass
class SeedCase:
    name: str
    samples: int
    batch: int
    make_data: Callable[[np.random.Generator], tuple]
    make_ours: Callable[[str], Sequential]  # (device) -> the compiled model
    make_torch: Callable  # (torch) -> (module, optimizer factory, loss fn)
    convnet: bool = False


def _images(rng):
    return rng.random((100, 100, 100, 3), dtype=np.float32), to_categorical(rng.integers(0, 10, 100), 10)


def _sequences(rng):
    return rng.random((512, 64, 100), dtype=np.float32), rng.integers(0, 2, (512, 1)).astype(np.float32)


def _stacked(rng):
    return rng.random((1000, 8, 16), dtype=np.float32), rng.random((1000, 10), dtype=np.float32)


def _tokens(rng):
    return rng.integers(0, 1000, (256, 80)).astype(np.float32), rng.integers(0, 2, (256, 1)).astype(np.float32)


def _vgg(device):
    L = _CATALOG
    model = Sequential([
        L.Conv2D(32, (3, 3), activation="relu", input_shape=(100, 100, 3)), L.Conv2D(32, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)), L.Dropout(0.25),
        L.Conv2D(64, (3, 3), activation="relu"), L.Conv2D(64, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)), L.Dropout(0.25),
        L.Flatten(), L.Dense(256, activation="relu"), L.Dropout(0.25), L.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", device=device,
                  optimizer=optimizers.SGD(learning_rate=0.01, decay=1e-6, momentum=0.9, nesterov=True))
    return model


def _conv1d(device):
    L = _CATALOG
    model = Sequential([
        L.Conv1D(64, 3, activation="relu", input_shape=(64, 100)), L.Conv1D(64, 3, activation="relu"),
        L.MaxPooling1D(3), L.Conv1D(128, 3, activation="relu"), L.Conv1D(128, 3, activation="relu"),
        L.GlobalAveragePooling1D(), L.Dropout(0.5), L.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"], device=device)
    return model


def _stacked_lstm(device):
    L = _CATALOG
    model = Sequential([
        L.LSTM(32, return_sequences=True, input_shape=(8, 16)), L.LSTM(32, return_sequences=True), L.LSTM(32),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"], device=device)
    return model


def _embedding_lstm(device):
    L = _CATALOG
    model = Sequential([
        L.Embedding(1000, 256, input_shape=(80,)), L.LSTM(128), L.Dropout(0.5), L.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"], device=device)
    return model


def _torch_vgg(torch):
    nn = torch.nn

    class Vgg(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
                nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
            )
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 22 * 22, 256), nn.ReLU(), nn.Dropout(0.25),
                                      nn.Linear(256, 10), nn.Softmax(dim=1))

        def forward(self, x):
            return self.head(self.features(x.permute(0, 3, 1, 2)))

    model = Vgg()
    return model, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True), _torch_categorical(torch)


def _torch_conv1d(torch):
    nn = torch.nn

    class Conv1d(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv1d(100, 64, 3), nn.ReLU(), nn.Conv1d(64, 64, 3), nn.ReLU(), nn.MaxPool1d(3),
                nn.Conv1d(64, 128, 3), nn.ReLU(), nn.Conv1d(128, 128, 3), nn.ReLU(),
            )
            self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(128, 1), nn.Sigmoid())

        def forward(self, x):
            return self.head(self.body(x.permute(0, 2, 1)).mean(dim=2))

    return Conv1d(), _torch_rmsprop(torch), torch.nn.BCELoss()


def _torch_stacked_lstm(torch):
    nn = torch.nn

    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(16, 32, num_layers=3, batch_first=True)
            self.head = nn.Sequential(nn.Linear(32, 10), nn.Softmax(dim=1))

        def forward(self, x):
            return self.head(self.lstm(x)[0][:, -1])

    return Stacked(), _torch_rmsprop(torch), _torch_categorical(torch)


def _torch_embedding_lstm(torch):
    nn = torch.nn

    class EmbeddingLstm(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(1000, 256)
            self.lstm = nn.LSTM(256, 128, batch_first=True)
            self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(128, 1), nn.Sigmoid())

        def forward(self, x):
            return self.head(self.lstm(self.embedding(x.long()))[0][:, -1])

    return EmbeddingLstm(), _torch_rmsprop(torch), torch.nn.BCELoss()


def _torch_rmsprop(torch):
    return lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7)


def _torch_categorical(torch):
    return lambda p, t: -(t * torch.log(p.clamp(1e-7, 1 - 1e-7))).sum(dim=1).mean()


CASES = (
    SeedCase("vgg-like 100x100x3 (b32)", 100, 32, _images, _vgg, _torch_vgg, convnet=True),
    SeedCase("conv1d 64x100 (b16)", 512, 16, _sequences, _conv1d, _torch_conv1d, convnet=True),
    SeedCase("stacked lstm 8x16 (b64)", 1000, 64, _stacked, _stacked_lstm, _torch_stacked_lstm),
    SeedCase("embedding+lstm 80 (b16)", 256, 16, _tokens, _embedding_lstm, _torch_embedding_lstm),
)


def gemm_peak_gflops(n: int = 1024, repeats: int = 5) -> float:
    """The float32 matrix-product rate numpy's BLAS reaches on this machine."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    np.dot(a, b, out=out)
    best = min(_timed(lambda: np.dot(a, b, out=out)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def training_flops_per_sample(model: Sequential) -> float:
    """Multiply-adds x 2 of the Conv and Dense layers, forward plus backward (x3)."""
    total = 0.0
    for layer, row in zip(model.layers, model.shape_rows()):
        if layer.class_name in ("Conv1D", "Conv2D", "Dense"):
            kernel_in = math.prod(layer.weight_specs(row.input_shape)[0].shape[:-1])
            total += 2.0 * kernel_in * math.prod(row.output_shape[1:])
    return 3.0 * total


def time_ours(case: SeedCase, epochs: int, device: str = "cpu") -> tuple[float, Sequential]:
    set_random_seed(0)
    x, y = case.make_data(np.random.default_rng(0))
    model = case.make_ours(device)
    model.fit(x[: case.batch * 2], y[: case.batch * 2], batch_size=case.batch, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=case.batch, epochs=epochs, verbose=0)
    return epochs * len(x) / (time.perf_counter() - start), model


def time_torch(case: SeedCase, epochs: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    module, make_optimizer, loss_fn = case.make_torch(torch)
    optimizer = make_optimizer(module.parameters())
    x_np, y_np = case.make_data(np.random.default_rng(0))
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def epoch(limit=None):
        order = torch.randperm(len(x))[:limit]
        for start in range(0, len(order), case.batch):
            index = order[start : start + case.batch]
            optimizer.zero_grad()
            loss_fn(module(x[index]), y[index]).backward()
            optimizer.step()

    epoch(case.batch * 2)
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return epochs * len(x) / (time.perf_counter() - start)


def run(epochs: int = 1, names: list[str] | None = None, print_fn=print, device: str = "cpu",
        repeats: int = 3) -> list[dict]:
    """Time each seed case for both frameworks, alternating them `repeats` times and keeping
    the best of each (on 2 cores, one library's threads still spinning after its run slow
    the other's next one); print and return the table's rows.

    The GEMM peak is measured again beside each convnet's repeats and the best figure of the
    run is the one a convnet's share is taken of: on a shared virtual machine it moved between
    188 and 271 GFLOP/s within minutes, and a low reading would flatter the share."""
    peak = gemm_peak_gflops()
    print_fn(f"float32 GEMM peak (numpy, this machine): {peak:,.1f} GFLOP/s")
    print_fn(f"{'model':<28} {'SeqStudio':>12} {'PyTorch CPU':>12} {'ratio':>7} {'GFLOP/s':>9} {'% peak':>7}")
    rows = []
    for case in CASES:
        if names and not any(n in case.name for n in names):
            continue
        try:
            ours, model = time_ours(case, epochs, device)
        except ConfigError as err:  # a layer family not available in this build
            print_fn(f"{case.name:<28} skipped: {err}")
            continue
        theirs = time_torch(case, epochs)
        for _ in range(repeats - 1):
            ours = max(ours, time_ours(case, epochs, device)[0])
            theirs = theirs and max(theirs, time_torch(case, epochs))
            if case.convnet:
                peak = max(peak, gemm_peak_gflops())
        row = {"model": case.name, "seqstudio": ours, "pytorch": theirs}
        gflops = ours * training_flops_per_sample(model) / 1e9 if case.convnet else None
        ratio = f"{ours / theirs:6.2f}x" if theirs else "     -"
        torch_text = f"{theirs:>8,.1f} s/s" if theirs else "not installed"
        flops_text = f"{gflops:>9.1f} {100 * gflops / peak:>6.0f}%" if gflops else ""
        print_fn(f"{case.name:<28} {ours:>8,.1f} s/s {torch_text:>12} {ratio:>7} {flops_text}")
        rows.append({**row, "gflops": gflops, "peak": peak})
    if any(row["gflops"] for row in rows):
        print_fn(f"(% peak: of the best GEMM peak measured so far in this run, {peak:,.1f} GFLOP/s)")
    return rows


def run_memory(print_fn=print) -> None:
    """Peak resident memory of one VGG-like training epoch, each framework in its own process."""
    from .memory import in_subprocess

    for framework in ("seqstudio", "pytorch"):
        measured = in_subprocess(framework)
        text = "not available" if measured is None else f"peak {measured[0]:,.0f} MiB, training adds {measured[1]:,.0f} MiB"
        print_fn(f"vgg-like memory, {framework:<9}: {text}")
