"""The headless main job: train the `digits` template on the bundled digits, print its accuracy."""

from __future__ import annotations


def run_demo(epochs: int = 30, verbose: int = 2, print_fn=print) -> float:
    """Train the default template for `epochs` epochs on its training part of the digits and
    return its accuracy on the held-out part (the template's validation split, never fitted)."""
    from .project.data import model_arrays
    from .templates import DEFAULT_TEMPLATE, build_template

    project = build_template(DEFAULT_TEMPLATE)
    train, test = project.load_data()
    model = project.compiled_model()
    model.summary(print_fn=print_fn)
    x_train, y_train = model_arrays(train, model)
    x_test, y_test = model_arrays(test, model)
    model.fit(x_train, y_train, verbose=verbose, **{**project.compile.fit_arguments(), "epochs": epochs})
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print_fn(f"test accuracy on {len(x_test)} held-out digits: {accuracy:.2%} (loss {loss:.4f})")
    return accuracy
