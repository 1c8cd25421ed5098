"""Timing accuracy of a whole load run against the simulator's known behaviour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.records.store import read_records
from tests._load_helpers import inline_workload, run_scenario, summary_of

TTFT_MS, ITL_MS, N_OUT = 200.0, 20.0, 64


@pytest.fixture(scope="module")
def accuracy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("accuracy")
    spec = {
        "name": "accuracy",
        "simulator": {"ttft_ms": TTFT_MS, "itl_ms": ITL_MS, "max_num_seqs": 64, "seed": 3},
        "workload": inline_workload(N_OUT, ignore_eos=True),
        "load": {"profile": {"type": "concurrency", "users": 8}, "duration_s": 9, "warmup_s": 1.5},
        "slo": {"ttft_ms": 400, "tpot_ms": 40},
    }
    return run_scenario(tmp, spec)


def test_ttft_tpot_e2e_match_simulator_within_5_percent(accuracy_run: Path) -> None:
    s = summary_of(accuracy_run)
    lat = s["latency"]
    assert s["requests"]["errored"] == 0
    assert s["requests"]["completed"] >= 30
    assert lat["ttft_ms"]["p50"] == pytest.approx(TTFT_MS, rel=0.05)
    assert lat["tpot_ms"]["p50"] == pytest.approx(ITL_MS, rel=0.05)
    assert lat["e2e_ms"]["p50"] == pytest.approx(TTFT_MS + (N_OUT - 1) * ITL_MS, rel=0.05)
    assert s["tokens"]["source"] == "usage"
    assert s["tokens"]["estimated"] is False
    records = read_records(accuracy_run)
    ok = records[records["ok"]]
    assert (ok["n_out"] == N_OUT).all()
    assert s["goodput"]["slo_attainment"] == 1.0


def test_summary_percentiles_equal_numpy_over_records(accuracy_run: Path) -> None:
    s = summary_of(accuracy_run)
    df = read_records(accuracy_run)
    measured = df[(df["phase"] == "measure") & df["ok"]]
    ttft = measured["ttft_s"].to_numpy() * 1000
    e2e = measured["e2e_s"].to_numpy() * 1000
    tpot = ((measured["e2e_s"] - measured["ttft_s"]) / (measured["n_out"] - 1)).to_numpy() * 1000
    itl = np.concatenate([np.asarray(g) for g in measured["chunk_gaps_s"]]) * 1000
    for key, samples in (("ttft_ms", ttft), ("e2e_ms", e2e), ("tpot_ms", tpot), ("itl_ms", itl)):
        stats = s["latency"][key]
        assert stats["count"] == samples.size
        for q, name in ((50, "p50"), (90, "p90"), (95, "p95"), (99, "p99"), (99.9, "p99_9")):
            assert stats[name] == pytest.approx(float(np.percentile(samples, q)), rel=1e-9, abs=1e-9)
        assert stats["mean"] == pytest.approx(float(samples.mean()))
        assert stats["max"] == pytest.approx(float(samples.max()))
    window = s["window"]["seconds"]
    assert s["throughput"]["requests_per_s"] == pytest.approx(len(measured) / window)
    assert s["throughput"]["output_tokens_per_s"] == pytest.approx(measured["n_out"].sum() / window)


def test_ground_truth_timing_error_is_small(accuracy_run: Path) -> None:
    s = summary_of(accuracy_run)
    err = s["accuracy"]["ttft_error_ms"]
    assert err["count"] > 0
    assert abs(err["p50"]) < 10.0
