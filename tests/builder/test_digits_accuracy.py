"""A real task: an MLP reaches at least 95% test accuracy on the bundled UCI digits."""

import numpy as np

from builder import Sequential, layers, set_random_seed, to_categorical
from builder.data import load_bundled


def test_mlp_learns_the_bundled_digits():
    set_random_seed(0)
    data = load_bundled("digits")
    x = (data.x / 16.0).astype(np.float32)
    y = to_categorical(data.y, 10)
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:1437], order[1437:]
    model = Sequential([
        layers.Dense(64, activation="relu", input_shape=(64,)),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[train], y[train], epochs=30, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x[test], y[test], verbose=0)
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f} on {len(test)} held-out digits"
