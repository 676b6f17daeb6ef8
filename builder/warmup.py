"""Compile the kernels a model needs into Numba's on-disk cache, in a process of its own.

Numba holds the GIL for long stretches while it compiles, so a program that must stay
responsive (the studio) writes a small spec with `write_spec`, runs

    python -m builder.warmup SPEC_FOLDER

and waits for that process, which does not hold its GIL; its own first batch then only loads
the cached machine code. The spec is the model and compile settings (a project file's dict,
checked field by field when read) and a few rows of the real arrays, so the tiny fit here
reaches exactly the kernels and signatures the real one will. With no folder, the default
template's kernels are warmed on its bundled data.

A warmed spec leaves a stamp beside Numba's cache files, keyed by the spec, the kernels'
sources and the Python and Numba versions: `is_warm` tells a caller it may skip the process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

SPEC_FILE = "project.json"
ROWS_FILE = "x.npy"
TARGETS_FILE = "y.npy"
STAMP_PREFIX = "seqstudio-warm-"


def write_spec(folder, model, compile_settings, x, y, batch_size: int, validation: bool) -> str:
    """Describe a tiny fit of `model` (built) in `folder`; returns the spec's key."""
    from .project import DataSettings, Project
    from .project.schema import project_to_dict

    folder = Path(folder)
    rows = min(len(x), batch_size + 1)  # a full batch and a partial one
    project = Project(model=model, compile=compile_settings, data=DataSettings())
    spec = {"project": project_to_dict(project), "batch_size": int(batch_size), "validation": bool(validation)}
    (folder / SPEC_FILE).write_text(json.dumps(spec), encoding="utf-8")
    np.save(folder / ROWS_FILE, np.ascontiguousarray(x[:rows]), allow_pickle=False)
    np.save(folder / TARGETS_FILE, np.ascontiguousarray(y[:rows]), allow_pickle=False)
    return spec_key(spec, x, y)


def spec_key(spec: dict, x: np.ndarray, y: np.ndarray) -> str:
    """What decides which kernels and signatures a fit compiles: layers and their settings,
    loss, optimizer, metrics, the arrays' dtypes and sample shapes, the batch size, plus the
    kernels' sources (Numba's cache follows them) and the versions."""
    import numba

    project = spec["project"]
    layers = [{"class_name": layer["class_name"], "config": {k: v for k, v in layer["config"].items() if k != "name"}}
              for layer in project["layers"]]
    compile_ = {k: project["compile"][k] for k in ("optimizer", "loss", "metrics", "shuffle")}
    sources = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in _kernel_sources())
    described = json.dumps([layers, project["input_shape"], compile_, spec["batch_size"], spec["validation"],
                            str(x.dtype), list(x.shape[1:]), str(y.dtype), list(y.shape[1:]), sources,
                            numba.__version__, sys.version], sort_keys=True, default=str)
    return hashlib.sha256(described.encode("utf-8")).hexdigest()[:24]


def _kernel_sources() -> list[Path]:
    import kernels

    return sorted(Path(kernels.__file__).parent.glob("*.py"))


def _stamp_folder() -> Path | None:
    """Where Numba keeps the compiled kernels (its cache locator's choice: beside the sources,
    the user's cache, or NUMBA_CACHE_DIR), so clearing the cache clears the stamps too."""
    from kernels.activations import bias_activation_forward

    cache = getattr(bias_activation_forward, "_cache", None)
    path = getattr(cache, "_cache_path", None)
    return None if path is None else Path(path)


def is_warm(key: str) -> bool:
    folder = _stamp_folder()
    return folder is not None and (folder / f"{STAMP_PREFIX}{key}").exists()


def _mark_warm(key: str) -> None:
    folder = _stamp_folder()
    if folder is not None:
        try:
            (folder / f"{STAMP_PREFIX}{key}").write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"), encoding="utf-8")
        except OSError:  # a read-only cache: the next run warms again, nothing worse
            pass


def warm_spec(folder) -> str:
    """Run the tiny fit `folder` describes (fit with validation, then predict); returns its key."""
    from .project.schema import project_from_dict

    folder = Path(folder)
    spec = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
    x = np.load(folder / ROWS_FILE, allow_pickle=False)
    y = np.load(folder / TARGETS_FILE, allow_pickle=False)
    project = project_from_dict(spec["project"], source=str(folder / SPEC_FILE))
    batch_size = int(spec["batch_size"])
    model = project.compiled_model()
    validation = (x, y) if spec["validation"] else None
    model.fit(x, y, epochs=1, batch_size=batch_size, shuffle=project.compile.shuffle, validation_data=validation,
              verbose=0)
    model.predict(x, batch_size=batch_size)
    key = spec_key(spec, x, y)
    _mark_warm(key)
    return key


def warm_default_template() -> None:
    from .project import new_project
    from .project.data import model_arrays

    project = new_project()
    train, _ = project.load_data()
    model = project.compiled_model()
    x, y = model_arrays(train, model)
    model.fit(x[:65], y[:65], epochs=1, batch_size=32, validation_data=(x[:33], y[:33]), verbose=0)
    model.predict(x[:33], batch_size=32)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.warmup", description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="a spec written by write_spec (default: the default template)")
    args = parser.parse_args(argv)
    from .errors import SeqStudioError

    started = time.perf_counter()
    try:
        if args.folder is None:
            warm_default_template()
        else:
            warm_spec(args.folder)
    except (SeqStudioError, OSError, ValueError) as error:
        print(f"warmup: {error}", file=sys.stderr)
        return 1
    print(f"kernels ready in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
