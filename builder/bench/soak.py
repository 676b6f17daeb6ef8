"""The soak section of `seqstudio bench` (issue 9): the studio edits and trains for many cycles
while memory, threads and timers are watched. It runs `python -m ui.bench_soak` offscreen in a
subprocess (builder never imports Qt) and passes its lines on as they come.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

RESULT_PREFIX = "soak-result: "  # the last line of ui.bench_soak, which builder may not import


def run(cycles: int | None = None, print_fn=print) -> list[dict]:
    """Run the soak (its default cycle count unless `cycles`); print its lines and return its
    result as one row (with "passed"), or no rows when it could not run."""
    command = [sys.executable, "-m", "ui.bench_soak"] + ([f"--cycles={cycles}"] if cycles is not None else [])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")  # a benchmark never opens a window on screen
    rows = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                          env=env) as process:
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                rows.append(json.loads(line[len(RESULT_PREFIX):]))
            else:
                print_fn(line.rstrip("\n"))
    if not rows:
        print_fn(f"soak: not available (exit status {process.returncode})")
        return []
    return [dict(rows[-1], passed=process.returncode == 0)]
