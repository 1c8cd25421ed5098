"""When the harness cannot keep up with the schedule, it says so instead of reporting wrong latencies."""

from __future__ import annotations

from pathlib import Path

from tests._load_helpers import cli, inline_workload, summary_of, write_scenario


def test_falling_behind_the_schedule_is_reported(tmp_path: Path) -> None:
    spec = {
        "name": "overload",
        "simulator": {"ttft_ms": 200, "itl_ms": 1},
        "workload": inline_workload(2),
        # 20 requests in flight at most, each ~200 ms: at most ~100 req/s can be sent, 300 are asked.
        "load": {"profile": {"type": "rate", "rate_rps": 300, "max_in_flight": 20}, "duration_s": 3},
    }
    proc = cli("run", str(write_scenario(tmp_path, spec)), "--out", str(tmp_path / "runs"), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    s = summary_of(Path(proc.stdout.strip().splitlines()[-1]))
    assert s["health"]["overloaded"] is True
    assert s["latency"]["schedule_lag_ms"]["p99"] > 500
    # Latency including client queueing is far above the endpoint's own latency.
    assert s["latency"]["e2e_with_queueing_ms"]["p50"] > 2 * s["latency"]["e2e_ms"]["p50"]
    assert "fell behind" in " ".join(proc.stderr.split())  # console lines may wrap
    assert s["throughput"]["requests_per_s"] < 150


def test_keeping_up_is_not_flagged(tmp_path: Path) -> None:
    spec = {
        "name": "steady",
        "simulator": {"ttft_ms": 20, "itl_ms": 1},
        "workload": inline_workload(2),
        "load": {"profile": {"type": "rate", "rate_rps": 20, "arrival": "poisson"}, "duration_s": 3},
    }
    proc = cli("run", str(write_scenario(tmp_path, spec)), "--out", str(tmp_path / "runs"), "--quiet")
    s = summary_of(Path(proc.stdout.strip().splitlines()[-1]))
    assert s["health"]["overloaded"] is False
    assert s["latency"]["schedule_lag_ms"]["p99"] < 50
