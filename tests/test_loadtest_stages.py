"""Multi-stage profiles report each stage: the run's summary function over the stage's records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.records.store import read_records
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import cli, inline_workload, summary_of, write_scenario

STATS = {"p50": 50, "p90": 90, "p95": 95, "p99": 99}


def test_steps_report_each_stage_and_its_numbers_are_numpy_over_its_records(tmp_path: Path) -> None:
    # max_num_seqs 4: 2 users are served at once, 8 users queue; 12 tokens of 5 ms after 40 ms.
    with SimProcess(SimConfig(ttft_ms=40, itl_ms=5, max_num_seqs=4, seed=9)) as sim:
        spec = {
            "name": "stepped",
            "endpoint": {"base_url": sim.base_url, "model": "sim-model"},
            "workload": inline_workload(12, ignore_eos=True),
            "load": {
                "profile": {
                    "type": "steps",
                    "steps": [
                        {"users": 1, "duration_s": 3},
                        {"users": 2, "duration_s": 3},
                        {"users": 8, "duration_s": 3},
                    ],
                },
                "stage_warmup_s": 0.5,
            },
        }
        proc = cli("run", str(write_scenario(tmp_path, spec)), "--out", str(tmp_path / "runs"), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    s = summary_of(run_dir)
    stages = s["stages"]
    assert [st["name"] for st in stages] == ["step1", "step2", "step3"]
    assert [st["target"] for st in stages] == [{"users": 1.0}, {"users": 2.0}, {"users": 8.0}]
    records = read_records(run_dir)
    assert set(records["stage"]) == {"step1", "step2", "step3"}
    start = s["run"]["started_at"]
    for i, stage in enumerate(stages):
        window = stage["window"]
        assert window["start"] == pytest.approx(start + 3 * i + 0.5)
        assert window["end"] == pytest.approx(start + 3 * (i + 1))
        rows = records[(records["stage"] == stage["name"]) & records["ok"]]
        measured = rows[(rows["sent_at"] >= window["start"]) & (rows["sent_at"] < window["end"])]
        assert stage["requests"]["completed"] == len(measured) > 5
        ttft = measured["ttft_s"].to_numpy() * 1000
        e2e = measured["e2e_s"].to_numpy() * 1000
        for key, q in STATS.items():
            assert stage["latency"]["ttft_ms"][key] == pytest.approx(float(np.percentile(ttft, q)), rel=1e-12)
            assert stage["latency"]["e2e_ms"][key] == pytest.approx(float(np.percentile(e2e, q)), rel=1e-12)
    # The fourth sequence and beyond wait: 8 users queue behind 4 slots, 1 and 2 users do not.
    assert stages[2]["latency"]["ttft_ms"]["p50"] > 2 * stages[0]["latency"]["ttft_ms"]["p50"]
    assert stages[1]["throughput"]["requests_per_s"] == pytest.approx(
        2 * stages[0]["throughput"]["requests_per_s"], rel=0.15
    )
    # The console shows one row per stage.
    assert all(name in proc.stderr for name in ("step1", "step2", "step3"))
