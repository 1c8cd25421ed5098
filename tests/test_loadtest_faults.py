"""Endpoint faults are classified and counted, and the run goes on."""

from __future__ import annotations

import socket
from pathlib import Path

from harness.records.store import read_records
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import cli, inline_workload, run_scenario, summary_of, write_scenario


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_fault_kind_is_classified_and_the_run_continues(tmp_path: Path) -> None:
    faults = SimConfig(
        ttft_ms=20,
        itl_ms=2,
        seed=11,
        error_rate=0.08,
        rate_limit_rate=0.08,
        truncate_rate=0.08,
        malformed_rate=0.08,
        reset_rate=0.08,
        midstream_error_rate=0.08,
        stall_rate=0.05,
        stall_ms=3000,
    )
    with SimProcess(faults) as sim:
        spec = {
            "name": "faults",
            "endpoint": {
                "base_url": sim.base_url,
                "model": "sim-model",
                "timeouts": {"connect_s": 2, "first_token_s": 1.0, "total_s": 1.0},
            },
            "workload": inline_workload(16),
            "load": {"profile": {"type": "concurrency", "users": 8}, "duration_s": 7},
        }
        run_dir = run_scenario(tmp_path, spec)
    s = summary_of(run_dir)
    by_kind = s["errors"]["by_kind"]
    for kind in ("http_5xx", "http_429", "truncated", "malformed", "reset", "stream_error", "timeout_total"):
        assert by_kind[kind] > 0, (kind, by_kind)
    assert s["requests"]["completed"] > 100  # the run went on around the faults
    rate = s["errors"]["rate"]
    assert 0.3 < rate < 0.65
    records = read_records(run_dir)
    measured = records[records["phase"] == "measure"]
    counted = measured["error_kind"].value_counts().to_dict()
    assert {k: v for k, v in by_kind.items() if v} == counted
    assert (measured.loc[measured["error_kind"] == "http_429", "status_code"] == 429).all()


def test_a_dead_endpoint_is_not_hammered_and_fails_the_run(tmp_path: Path) -> None:
    spec = {
        "name": "refused",
        "endpoint": {"base_url": f"http://127.0.0.1:{_free_port()}", "model": "m"},
        "workload": inline_workload(8),
        "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 3},
    }
    path = write_scenario(tmp_path, spec)
    proc = cli("run", str(path), "--out", str(tmp_path / "runs"), "--quiet")
    assert proc.returncode == 1, proc.stderr[-2000:]
    s = summary_of(Path(proc.stdout.strip().splitlines()[-1]))
    assert s["requests"]["completed"] == 0
    assert s["errors"]["by_kind"]["connect"] == s["requests"]["errored"]
    # Each user waits 50 ms, 100 ms, ... up to 2 s after a refused connection: about 6 tries in 3 s.
    assert 2 * 3 <= s["requests"]["errored"] <= 2 * 9
    assert s["window"]["seconds"] >= 2.9
    assert s["latency"]["ttft_ms"]["p50"] is None  # no samples: null, never a zero that looks like data
    failed = [line for line in proc.stderr.splitlines() if "run failed" in line]
    assert failed == [f"run failed: {s['health']['failed']}"]
    assert "connect" in failed[0] and "estimated" not in proc.stderr  # the real cause, nothing else

    # Without the back-off the same users retry at once: the endpoint sees far more attempts.
    spec["endpoint"]["retries"] = {"connect_backoff": False}
    hammered = run_scenario(tmp_path, spec, exit_code=1)
    assert summary_of(hammered)["requests"]["errored"] > 20 * s["requests"]["errored"]


def test_first_token_timeout_is_its_own_kind(tmp_path: Path) -> None:
    with SimProcess(SimConfig(ttft_ms=1500, itl_ms=1)) as sim:
        spec = {
            "name": "slow-first-token",
            "endpoint": {
                "base_url": sim.base_url,
                "model": "sim-model",
                "timeouts": {"first_token_s": 0.3, "total_s": 10},
            },
            "workload": inline_workload(4),
            "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 2},
        }
        run_dir = run_scenario(tmp_path, spec, exit_code=1)  # every request failed
    s = summary_of(run_dir)
    assert s["errors"]["by_kind"]["timeout_first_token"] == s["requests"]["errored"] > 0
    records = read_records(run_dir)
    failed = records[records["error_kind"] == "timeout_first_token"]
    assert failed["e2e_s"].between(0.29, 0.6).all()
