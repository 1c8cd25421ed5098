"""One run on every core: local worker processes whose records merge like a distributed run's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.jobs.fleet import default_processes
from harness.records.store import read_records
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import inline_workload, run_scenario


def test_processes_default_to_the_cores_less_one_for_a_local_server() -> None:
    cores = default_processes("remote", "https://api.example.com/v1")
    assert cores >= 1
    local = max(1, cores - 1)
    assert default_processes("simulator") == default_processes("vllm") == local
    assert default_processes("remote", "http://127.0.0.1:8000/v1") == local
    assert default_processes("remote", "http://localhost:8000") == local
    assert default_processes("remote", "http://[::1]:8000") == local


def test_two_processes_split_the_load_and_merge_their_records(tmp_path: Path) -> None:
    with SimProcess(SimConfig(ttft_ms=20, itl_ms=2, seed=6)) as sim:
        spec = {
            "name": "two-processes",
            "endpoint": {"base_url": sim.base_url, "model": "sim-model"},
            "workload": inline_workload(8),
            "load": {"profile": {"type": "concurrency", "users": 4}, "duration_s": 4, "warmup_s": 1},
        }
        run_dir = run_scenario(tmp_path, spec, "--processes", "2")
    summary = json.loads((run_dir / "summary.json").read_text())
    records = read_records(run_dir)
    per_worker = records["worker"].value_counts()
    assert len(per_worker) == 2 and per_worker.min() > 10
    assert summary["workers"]["count"] == 2 and summary["run"]["workers"] == 2
    # Both workers' CPU is counted: the client's capacity covers two processes.
    assert summary["extra"]["client_cpu"]["processes"] == 2
    assert all(w["cpu_s"] > 0 for w in summary["workers"]["workers"])
    assert summary["health"]["client_capacity_rps"] > 0
    ok = records[(records["phase"] == "measure") & records["ok"]]
    expected = np.percentile(ok["ttft_s"].to_numpy() * 1000, 99)
    assert summary["latency"]["ttft_ms"]["p99"] == pytest.approx(float(expected), rel=1e-12)
