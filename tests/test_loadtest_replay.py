"""Trace replay end to end against the simulator: every request of the window is sent once, at its
(sped-up) timestamp, with its recorded lengths; bad trace files stop the run before it starts
with one line naming file:line, and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.load.schedule import replayed
from harness.records.store import read_records
from tests._load_helpers import cli, run_scenario, summary_of, write_scenario
from tests.support.traces import write_mooncake_trace

SPEEDUP = 10.0


def replay_spec(trace: Path, **profile: Any) -> dict[str, Any]:
    return {
        "name": "replay",
        "simulator": {"ttft_ms": 5, "itl_ms": 1},
        "workload": {"ignore_eos": True},
        "load": {"profile": {"type": "trace", "source": str(trace), "block_tokens": 64, **profile}},
        "publish": {"exporter": {"enabled": False}},
    }


def test_a_trace_is_replayed_at_its_timestamps_sped_up(tmp_path: Path) -> None:
    # 20 s of bursty traffic at 10x: about 100 requests in 2 s, bursts of 12 within 4.4 ms.
    rows = write_mooncake_trace(tmp_path / "trace.jsonl", 20.0, 4.0, seed=5, output_tokens=3)
    run_dir = run_scenario(tmp_path, replay_spec(tmp_path / "trace.jsonl", speedup=SPEEDUP))
    summary = summary_of(run_dir)
    records = read_records(run_dir).sort_values("intended_at")
    assert len(records) == len(rows) > 80
    assert list(records["prompt_id"]) == [f"trace-{i}" for i in range(len(rows))]
    # Intended send times are the trace's, from the run's start, ten times faster.
    offsets = records["intended_at"].to_numpy() - summary["run"]["started_at"]
    first = float(rows[0]["timestamp"]) / 1000.0  # type: ignore[arg-type]
    expected = np.array([(float(r["timestamp"]) / 1000.0 - first) / SPEEDUP for r in rows])  # type: ignore[arg-type]
    np.testing.assert_allclose(offsets, expected, atol=1e-6)
    assert records["ok"].all()
    assert list(records["n_out"]) == [r["output_length"] for r in rows]
    # Generous bounds for a loaded 2-core machine (the 5 ms p99 goal is measured in the
    # benchmark): another process holding both cores can stall this one for ~150 ms, delaying the
    # few requests due then, which p90 tolerates and p99 would not.
    lag_ms = records["schedule_lag_s"].to_numpy() * 1000
    assert np.percentile(lag_ms, 50) < 5.0 and np.percentile(lag_ms, 90) < 25.0
    assert (np.diff(records["sent_at"].to_numpy()) > -0.05).all()  # sent in the trace's order
    assert summary["latency"]["schedule_lag_ms"]["count"] == len(rows)
    assert summary["window"]["seconds"] == pytest.approx(expected[-1] + 0.001, abs=1e-6)


def test_a_replay_window_sends_only_its_requests(tmp_path: Path) -> None:
    rows = write_mooncake_trace(tmp_path / "trace.jsonl", 20.0, 4.0, seed=6, output_tokens=2)
    stamps = np.array([float(r["timestamp"]) / 1000.0 for r in rows])  # type: ignore[arg-type]
    stamps -= stamps[0]
    spec = replay_spec(tmp_path / "trace.jsonl", speedup=SPEEDUP, start_s=5.0, end_s=12.0)
    run_dir = run_scenario(tmp_path, spec)
    records = read_records(run_dir)
    inside = np.flatnonzero((stamps >= 5.0) & (stamps < 12.0))
    assert sorted(records["prompt_id"]) == sorted(f"trace-{i}" for i in range(len(inside)))
    assert summary_of(run_dir)["window"]["seconds"] == pytest.approx(0.7)


def bad_trace(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = {"timestamp": 0, "input_length": 50, "output_length": 4}


@pytest.mark.parametrize(
    ("rows", "line", "field"),
    [
        ([GOOD, {"timestamp": 10, "output_length": 4}], 2, "input_length"),
        ([GOOD, {**GOOD, "timestamp": 900}, {**GOOD, "timestamp": 300}], 3, "timestamp"),
        ([{**GOOD, "timestamp": -5}], 1, "timestamp"),
    ],
    ids=["missing field", "unsorted", "negative"],
)
def test_a_bad_trace_is_one_line_naming_file_and_line_and_exit_2(
    tmp_path: Path, rows: list[dict[str, Any]], line: int, field: str
) -> None:
    path = bad_trace(tmp_path, rows)
    proc = cli("run", str(write_scenario(tmp_path, replay_spec(path))), "--out", str(tmp_path / "runs"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"slm-harness: error: {path}:{line}: {field}: ")
    assert "Traceback" not in proc.stderr and not (tmp_path / "runs").exists()


def test_a_request_beyond_the_models_context_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = bad_trace(tmp_path, [GOOD, {**GOOD, "timestamp": 5, "input_length": 3000, "output_length": 100}])
    spec = replay_spec(path)
    spec["simulator"]["kv_capacity_tokens"] = 2048  # the simulator's max_model_len
    proc = cli("run", str(write_scenario(tmp_path, spec)), "--out", str(tmp_path / "runs"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == (
        f"slm-harness: error: {path}:2: input_length: input 3000 + output 100 tokens exceed the context of "
        "2048 tokens (the model's max_model_len) — fix: drop or shorten the request, narrow the window "
        "(start_s/end_s), or raise the limit"
    )
    assert "Traceback" not in proc.stderr


def test_workers_split_a_trace_by_request_index_and_follow_share_changes() -> None:
    offsets = tuple(0.1 * i for i in range(9))
    assert [i for i, _ in replayed(100.0, offsets, lambda: (1, 3))] == [1, 4, 7]
    assert [t for _, t in replayed(100.0, offsets, lambda: (1, 3))] == pytest.approx([100.1, 100.4, 100.7])
    shares = iter([(0, 2)] * 4 + [(0, 1)] * 5)  # the other worker is lost after request 3
    assert [i for i, _ in replayed(0.0, offsets, lambda: next(shares))] == [0, 2, 4, 5, 6, 7, 8]
