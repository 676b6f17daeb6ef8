"""The soak benchmark (issue 9): a short soak through the bench section's own subprocess call
leaves no thread, timer or child process behind and reports figures that parse; the verdict names each leak."""

from __future__ import annotations

from builder.bench.soak import run
from ui.bench_soak import GROWTH_LIMIT_MIB, verdict


def test_a_two_cycle_soak_reports_and_leaves_nothing_running():
    lines: list[str] = []
    rows = run(cycles=2, print_fn=lines.append)
    assert len(rows) == 1, "\n".join(lines)
    result = rows[0]
    assert result["cycles"] == 2 and result["undo_steps"] == 8  # drop, edit, delete, train per cycle
    assert 0 < result["rss_start_mib"] and 0 < result["rss_end_mib"]
    assert result["growth_per_cycle_mib"] == result["rss_end_mib"] - result["rss_start_mib"]
    assert result["threads_left"] == 0, result
    assert result["qthreads_running"] == [] and result["timers"] == [], result
    assert result["timers_left"] == 0 and result["child_processes_left"] == 0
    table = next(i for i, line in enumerate(lines) if "RSS start MiB" in line)
    assert lines[table + 1].split()[0] == "2"
    assert lines[table + 2].startswith("soak: ")


def _clean_result(**changes) -> dict:
    result = {"threads_left": 0, "qthreads_running": [], "os_threads_left": 0, "python_threads_left": 0,
              "timers_left": 0, "timers": [], "child_processes_left": 0,
              "growth_per_cycle_mib": 0.01, "growth_limit_mib": GROWTH_LIMIT_MIB}
    return {**result, **changes}


def test_the_verdict_names_each_thread_timer_and_growth_left_behind():
    assert verdict(_clean_result()) == []
    thread, child, timer, growth = verdict(_clean_result(
        threads_left=1, qthreads_running=["trainingThread"], child_processes_left=1, timers_left=1,
        timers=["CurvesPanel.QTimer"], growth_per_cycle_mib=GROWTH_LIMIT_MIB + 0.1))
    assert "trainingThread" in thread
    assert "1 child process" in child
    assert "CurvesPanel.QTimer" in timer
    assert f"{GROWTH_LIMIT_MIB + 0.1:.3f} MiB a cycle" in growth
