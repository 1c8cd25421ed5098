"""Capacity against a simulator whose service model is known: the answers match the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._load_helpers import cli, write_scenario

# 8 sequences at once; each 100 ms to its first token and 63 more tokens 10 ms apart: 0.73 s.
SERVICE_S = 0.100 + 63 * 0.010
CAPACITY_RPS = 8 / SERVICE_S  # 10.96 req/s


def _scenario(tmp_path: Path, profile: dict, slo: dict) -> Path:
    return write_scenario(
        tmp_path,
        {
            "name": "known-service",
            "simulator": {"ttft_ms": 100, "itl_ms": 10, "max_num_seqs": 8, "seed": 4},
            "workload": {
                "source": {"type": "inline", "prompts": ["Say something."]},
                "max_tokens": 64,
                "ignore_eos": True,
            },
            "load": {"profile": profile, "duration_s": 10},
            "slo": slo,
        },
    )


def test_capacity_search_finds_the_service_capacity(tmp_path: Path) -> None:
    # Constant arrivals below capacity never queue (D/D/8): E2E stays at 0.73 s. Above it the
    # queue grows by (rate - capacity) / capacity seconds per second, so with a 900 ms E2E SLO a
    # request fails once it waits 170 ms: within a 3 s probe (1 s warm-up) 90 % of requests meet
    # the SLO only while rate <= capacity * (1 + 0.17 / 2.8), i.e. 1.06 x capacity.
    path = _scenario(tmp_path, {"type": "rate", "rate_rps": 1, "arrival": "constant"}, {"e2e_ms": 900})
    proc = cli(
        "capacity", str(path), "--out", str(tmp_path / "runs"), "--quiet",
        "--attainment", "0.9", "--precision", "0.05", "--stage-s", "3", "--stage-warmup-s", "1",
        timeout=400,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((Path(proc.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    capacity = summary["capacity"]
    assert capacity["max_rps"] == pytest.approx(CAPACITY_RPS, rel=0.05)
    assert CAPACITY_RPS * 0.9 <= capacity["slo_rps"] <= CAPACITY_RPS * 1.06
    assert capacity["limit"] in ("slo", "max_load")
    assert capacity["slo_attainment_target"] == 0.9 and capacity["slos"] == {"e2e_ms": 900.0}
    # Every probe is a stage of the run, judged with an interval on its attainment.
    stages = {s["name"]: s for s in summary["stages"]}
    assert [p["stage"] for p in capacity["probes"]] == list(stages)
    for probe in capacity["probes"]:
        stage = stages[probe["stage"]]
        assert probe["attainment"] == stage["goodput"]["slo_attainment"]
        low, high = probe["interval"]
        assert low - 1e-9 <= probe["attainment"] <= high + 1e-9
    passed = [p for p in capacity["probes"] if p["passed"] and "rate_rps" in p]
    failed = [p for p in capacity["probes"] if p["passed"] is False and "rate_rps" in p]
    assert all(p["rate_rps"] < f["rate_rps"] for p in passed for f in failed)
    # Below capacity the latency is the service time: no queueing.
    for p in passed:
        assert stages[p["stage"]]["latency"]["e2e_ms"]["p50"] == pytest.approx(SERVICE_S * 1000, rel=0.05)
    assert capacity["concurrency_at_slo"] == pytest.approx(capacity["slo_rps"] * SERVICE_S, rel=0.15)
    assert "capacity at the SLOs" in proc.stderr
    # The capacity gate reads this answer: the run against itself passes at a ratio of 1.
    run = proc.stdout.strip().splitlines()[-1]
    rules = tmp_path / "gates.yaml"
    rules.write_text("relative:\n  - metric: slo_rps\n    max_decrease_pct: 10\n", encoding="utf-8")
    args = ["--rules", str(rules), "--out", str(tmp_path / "gate")]
    gate = cli("gate", "--baseline", run, "--candidate", run, *args)
    assert gate.returncode == 0, gate.stderr[-2000:]
    (result,) = json.loads((tmp_path / "gate" / "gate.json").read_text())["results"]
    assert (result["metric"], result["status"], result["estimate"]) == ("slo_rps", "pass", 1.0)


def test_sweep_runs_rates_between_one_user_and_the_throughput_probe(tmp_path: Path) -> None:
    profile = {"type": "sweep", "rates": 4, "stage_s": 3, "stage_warmup_s": 1, "arrival": "constant"}
    path = _scenario(tmp_path, profile, {"e2e_ms": 900})
    proc = cli("run", str(path), "--out", str(tmp_path / "runs"), "--quiet", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((Path(proc.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    sweep = summary["sweep"]
    names = [s["name"] for s in summary["stages"]]
    assert names[:2] == ["sync", "throughput"]
    assert sweep["sync_rps"] == pytest.approx(1 / SERVICE_S, rel=0.1)
    assert sweep["max_rps"] == pytest.approx(CAPACITY_RPS, rel=0.05)
    rates = sweep["rates"]
    assert len(rates) == 4 and sweep["sync_rps"] < rates[0] < rates[-1] < sweep["max_rps"]
    assert rates == pytest.approx(
        list(sweep["sync_rps"] + (sweep["max_rps"] - sweep["sync_rps"]) * (i + 1) / 5 for i in range(4)),
        rel=1e-3,
    )
    # Below capacity each rate is delivered as offered.
    for stage, rate in zip(summary["stages"][2:], rates, strict=False):
        assert stage["target"] == {"rate_rps": round(rate, 3)}
        assert stage["throughput"]["offered_rps"] == pytest.approx(rate, rel=0.1)


def test_capacity_by_users_is_the_batch_size(tmp_path: Path) -> None:
    # Closed loop: up to 8 users never wait (E2E 0.73 s); a 9th makes every cycle last
    # 9 / 10.96 = 0.82 s, over the 780 ms SLO. The search must land on exactly 8 users.
    path = _scenario(tmp_path, {"type": "concurrency", "users": 1}, {"e2e_ms": 780})
    proc = cli(
        "capacity", str(path), "--by", "concurrency", "--out", str(tmp_path / "runs"), "--quiet",
        "--attainment", "0.9", "--stage-s", "3", "--stage-warmup-s", "1", "--probe-users", "32",
        timeout=400,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((Path(proc.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    capacity = summary["capacity"]
    assert capacity["slo_concurrency"] == 8
    assert capacity["limit"] == "slo"
    tried = {p["users"]: p["passed"] for p in capacity["probes"] if "users" in p}
    assert tried[8] is True and tried[9] is False and tried[32] is False and tried[1] is True
    assert capacity["max_rps"] == pytest.approx(CAPACITY_RPS, rel=0.05)


def test_a_trace_or_sessions_scenario_is_refused_in_one_line(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        {
            "name": "sessions",
            "workload": {"source": {"type": "conversations", "sessions": 4, "turns": 3}, "max_tokens": 8},
            "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 5},
            "slo": {"e2e_ms": 1000},
        },
    )
    proc = cli("capacity", str(path), "--quiet")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "workload.source" in lines[0] and "fix:" in lines[0]
