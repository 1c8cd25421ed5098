"""Several targets in one scenario, against two real simulators with different timings and accuracies.

Interleaved: one arrival schedule and one prompt sequence fanned out to both, so each target's
latency must match its own simulator, both must have received the same prompts in the same
order (each simulator logs what it received), and the accuracy gap must be found significant.
Shadow: the primary is measured as in a single-target run while a slow shadow gets every request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.records.store import read_records
from tests._load_helpers import ROOT, cli, inline_workload, run_scenario, summary_of

GOLDEN = ROOT / "golden" / "ticket_extraction.jsonl"
FAST = {"ttft_ms": 100.0, "itl_ms": 20.0, "golden_accuracy": 0.95, "seed": 1}
SLOW = {"ttft_ms": 250.0, "itl_ms": 40.0, "golden_accuracy": 0.3, "seed": 2}


def _spec(tmp: Path, mode: dict[str, Any], profile: dict[str, Any], duration_s: float) -> dict[str, Any]:
    return {
        "name": "ab",
        "targets": [
            {"name": "fast", "simulator": {**FAST, "request_log": str(tmp / "fast.jsonl")}},
            {"name": "slow", "simulator": {**SLOW, "request_log": str(tmp / "slow.jsonl")}},
        ],
        "compare": {**mode, "golden": [str(GOLDEN)]},
        "workload": {"source": {"type": "jsonl", "path": str(GOLDEN)}, "max_tokens": 200},
        "load": {"profile": profile, "duration_s": duration_s, "warmup_s": 1},
    }


@pytest.fixture(scope="module")
def interleaved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("interleaved")
    # Constant arrivals, 167 ms apart: the order each server sees is the order sent (Poisson
    # arrivals a millisecond apart may reach a server in either order over two connections).
    spec = _spec(tmp, {"mode": "interleaved"}, {"type": "rate", "rate_rps": 6, "arrival": "constant"}, 8)
    return run_scenario(tmp, spec)


def _target(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return next(block for block in summary["targets"] if block["name"] == name)


def test_each_target_latency_matches_its_simulator(interleaved: Path) -> None:
    summary = summary_of(interleaved)
    assert [block["name"] for block in summary["targets"]] == ["fast", "slow"]
    for name, truth in (("fast", FAST), ("slow", SLOW)):
        latency = _target(summary, name)["latency"]
        assert latency["ttft_ms"]["p50"] == pytest.approx(truth["ttft_ms"], rel=0.05), name
        assert latency["itl_ms"]["p50"] == pytest.approx(truth["itl_ms"], rel=0.05), name
    # The per-target block is the summary function over that target's records.
    records = read_records(interleaved)
    fast = records[(records["target"] == "fast") & (records["phase"] == "measure")]
    assert _target(summary, "fast")["requests"]["total"] == len(fast)


def test_both_targets_received_the_same_prompts_in_the_same_order(interleaved: Path) -> None:
    received = {
        name: [json.loads(line)["key"] for line in (interleaved.parent.parent / f"{name}.jsonl").open()]
        for name in ("fast", "slow")
    }
    assert len(received["fast"]) >= 40
    assert received["fast"] == received["slow"]
    records = read_records(interleaved).sort_values(["intended_at", "target"])
    by_target = {name: rows for name, rows in records.groupby("target")}
    assert list(by_target["fast"]["prompt_id"]) == list(by_target["slow"]["prompt_id"])
    assert list(by_target["fast"]["intended_at"]) == list(by_target["slow"]["intended_at"])
    # Each fanned-out request's copies share one pair id, one per target.
    assert set(records.groupby("pair_id")["target"].agg(lambda t: tuple(sorted(t)))) == {("fast", "slow")}


def test_accuracy_difference_is_found_significant(interleaved: Path) -> None:
    compare = summary_of(interleaved)["compare"]
    (accuracy,) = compare["accuracy"]
    assert (accuracy["reference"], accuracy["other"]) == ("fast", "slow")
    assert accuracy["items"] >= 30
    assert accuracy["reference_accuracy"] > 0.8 and accuracy["other_accuracy"] < 0.5
    assert accuracy["p_value"] < 0.001 and accuracy["significant"]
    low, high = accuracy["interval_points"]
    assert low < accuracy["difference_points"] < high < 0
    answers = pd.read_parquet(interleaved / "answers.parquet")
    assert set(answers["target"]) == {"fast", "slow"}
    assert answers["correct"].notna().all()


def test_agreement_pairs_every_fanned_out_request(interleaved: Path) -> None:
    summary = summary_of(interleaved)
    (agreement,) = summary["compare"]["agreement"]
    assert agreement["paired_by"] == "pair_id"
    assert agreement["pairs"] == _target(summary, "slow")["requests"]["completed"]
    # Both right gives the same JSON; a wrong answer differs: agreement sits between the
    # chance both are right and the chance they agree at all.
    assert 0.15 < agreement["exact"] < 0.6
    assert agreement["exact"] <= agreement["normalized"] <= 1.0
    assert agreement["token_f1"] >= agreement["normalized"] - 1e-9
    assert agreement["divergent"] and all(d["token_f1"] < 1.0 for d in agreement["divergent"])


def test_effects_show_the_slower_target_with_intervals(interleaved: Path) -> None:
    effects = summary_of(interleaved)["compare"]["effects"]
    ttft = effects["ttft_p50_ms"]["slow"]
    assert ttft["ratio"] == pytest.approx(SLOW["ttft_ms"] / FAST["ttft_ms"], rel=0.07)
    assert 1.0 < ttft["interval"][0] <= ttft["ratio"] <= ttft["interval"][1]
    assert ttft["noise"].startswith("requests")
    assert effects["requests_per_s"]["slow"]["noise"].startswith("time bins")
    files = {p.name for p in interleaved.iterdir()}
    assert {"compare.json", "compare.md", "compare.html", "answers.parquet"} <= files
    assert "Targets compared" in (interleaved / "report.html").read_text()


def test_shadow_never_holds_the_primary_back(tmp_path: Path) -> None:
    """A shadow 20x slower than the primary, and room for only two mirrors in flight."""
    spec = _spec(tmp_path, {"mode": "shadow", "primary": "fast", "shadow_max_in_flight": 2}, {}, 6)
    spec["targets"][1]["simulator"] = {**SLOW, "ttft_ms": 2000.0}
    spec["load"]["profile"] = {"type": "rate", "rate_rps": 6}
    run = run_scenario(tmp_path, spec)
    summary = summary_of(run)
    primary = _target(summary, "fast")
    assert primary["latency"]["ttft_ms"]["p50"] == pytest.approx(FAST["ttft_ms"], rel=0.05)
    shadow = summary["compare"]["shadow"]
    records = read_records(run)
    sent = records.groupby("target").size()
    assert shadow["mirrored"] == sent["slow"] and shadow["mirrored"] + shadow["dropped"] == sent["fast"]
    assert shadow["dropped"] > 0 and shadow["shadow_in_flight_peak"] == 2
    assert any("mirrors were dropped" in w for w in summary["compare"]["warnings"])
    assert [t["role"] for t in summary["compare"]["targets"]] == ["primary", "shadow"]


def test_closed_loop_fan_out_waits_for_every_target(tmp_path: Path) -> None:
    spec = {
        "name": "closed",
        "targets": [
            {"name": "a", "simulator": {"ttft_ms": 20, "itl_ms": 2}},
            {"name": "b", "simulator": {"ttft_ms": 60, "itl_ms": 2}},
        ],
        "workload": inline_workload(8, ignore_eos=True),
        "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 3},
    }
    records = read_records(run_scenario(tmp_path, spec))
    counts = records.groupby("target").size()
    assert counts["a"] == counts["b"] > 10
    assert records.groupby("pair_id").size().eq(2).all()
    # A user sends its next prompt when both copies are answered: a's pace is b's.
    assert counts["a"] == pytest.approx(2 * 3 / (0.06 + 7 * 0.002), rel=0.3)


def test_alternate_fan_out_sends_each_request_to_one_target(tmp_path: Path) -> None:
    spec = {
        "name": "alternate",
        "targets": [{"name": "a", "simulator": {"ttft_ms": 10}}, {"name": "b", "simulator": {"ttft_ms": 10}}],
        "compare": {"fanout": "alternate"},
        "workload": inline_workload(4, ignore_eos=True),
        "load": {"profile": {"type": "rate", "rate_rps": 40, "arrival": "constant"}, "duration_s": 3},
    }
    records = read_records(run_scenario(tmp_path, spec))
    counts = records.groupby("target").size()
    assert counts.sum() == pytest.approx(120, rel=0.1)
    assert 0.3 < counts["a"] / counts.sum() < 0.7
    assert records["pair_id"].isna().all()
    assert records["intended_at"].is_unique


def test_shadow_answers_drift_through_evidently(interleaved: Path, tmp_path: Path) -> None:
    """The slow target answers "I am not sure." where the fast one gives the JSON: its answers'
    length and structure drift against the reference's, reported the way a weekly drift is."""
    proc = cli("compare", str(interleaved), "--drift", "--out", str(tmp_path), timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (drift,) = json.loads((tmp_path / "compare.json").read_text())["drift"]
    assert (drift["reference"], drift["other"], drift["drifted"]) == ("fast", "slow", True)
    assert any(feature.startswith("output") for feature in drift["drifted_features"])
    report = json.loads((tmp_path / "drift-slow" / "drift.json").read_text())
    assert report["current"]["label"] == "slow"
