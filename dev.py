#!/usr/bin/env python3
"""Bootstrap for the README's two commands; needs only Python 3.11+.

    python3 dev.py studio   # install into .venv, then open SeqStudio on its default
    python3 dev.py test     # install with the test extra into .venv, then run every test

The virtual environment is (re)installed only when pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extras: str) -> None:
    """Create .venv and install the project (editable) with `extras`, if not done already."""
    if sys.version_info < (3, 11):
        sys.exit(f"SeqStudio needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / f".installed-{extras.replace(',', '-') or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    target = f".[{extras}]" if extras else "."
    print(f"installing {target} into .venv ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--config-settings", "editable_mode=compat", "-e", target],
        check=True,
        cwd=ROOT,
    )
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "studio"
    if command == "studio":
        ensure_installed("")
        return subprocess.call([str(BIN / "seqstudio"), *argv[1:]], cwd=ROOT)
    if command == "test":
        ensure_installed("test,reference")
        return subprocess.call([str(PYTHON), "-m", "pytest", *argv[1:]], cwd=ROOT)
    print(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as err:
        sys.exit(f"error: installation failed ({err})")
