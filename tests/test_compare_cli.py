"""`slm-harness compare` over saved runs: ratios with intervals, repetitions, warnings, drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._load_helpers import ROOT, cli, run_scenario

GOLDEN = ROOT / "golden" / "support_intents.jsonl"


def _spec(ttft_ms: float, accuracy: float, **simulator: Any) -> dict[str, Any]:
    return {
        "name": "variant",
        "simulator": {"ttft_ms": ttft_ms, "itl_ms": 5, "golden_accuracy": accuracy, **simulator},
        "workload": {
            "source": {"type": "inline", "prompts": ["Say hi.", "Tell me a story."]},
            "max_tokens": None,
        },
        "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 2},
        "golden": {"sets": [str(GOLDEN)], "interval_s": 30},
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("compare-runs")
    specs = {
        "a1": _spec(50, 1.0, seed=1),
        "a2": _spec(50, 1.0, seed=2),
        "b1": _spec(80, 0.4, seed=3, drift_profile="shorter-outputs"),
        "b2": _spec(80, 0.4, seed=4, drift_profile="shorter-outputs"),
    }
    other = _spec(50, 1.0)
    other["workload"]["source"]["prompts"] = ["Something else entirely."]
    specs["other"] = other
    return {name: run_scenario(tmp / name, spec) for name, spec in specs.items() if not (tmp / name).mkdir()}


def _compare(*args: str) -> tuple[dict[str, Any], Path, str]:
    proc = cli("compare", *args, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = Path(proc.stdout.strip().splitlines()[-1])
    return json.loads((out / "compare.json").read_text()), out, proc.stderr


def test_two_runs_ratio_interval_and_paired_accuracy(runs: dict[str, Path], tmp_path: Path) -> None:
    result, out, stderr = _compare(str(runs["a1"]), str(runs["b1"]), "--out", str(tmp_path / "ab"))
    assert out == tmp_path / "ab" and result["reference"] == runs["a1"].name
    assert result["warnings"] == []
    ttft = next(m for m in result["metrics"] if m["key"] == "ttft_p50_ms")["sides"][1]
    assert ttft["ratio"] == pytest.approx(80 / 50, rel=0.07)
    assert 1.0 < ttft["interval"][0] <= ttft["ratio"] <= ttft["interval"][1]
    assert ttft["noise"].startswith("requests")
    (accuracy,) = result["accuracy"]
    assert accuracy["items"] == 112 and accuracy["reference_accuracy"] == 1.0
    assert accuracy["other_accuracy"] < 0.6 and accuracy["p_value"] < 1e-6
    assert "McNemar" in stderr
    markdown = (out / "compare.md").read_text()
    assert "| TTFT p50 |" in markdown and "golden accuracy" in markdown
    html = (out / "compare.html").read_text()
    assert "Latency distributions" in html and "Golden accuracy" in html


def test_repetitions_give_a_run_to_run_interval(runs: dict[str, Path], tmp_path: Path) -> None:
    a, b = f"{runs['a1']},{runs['a2']}", f"{runs['b1']},{runs['b2']}"
    result, _, _ = _compare(a, b, "--out", str(tmp_path / "reps"))
    assert [s["repetitions"] for s in result["sides"]] == [2, 2]
    ttft = next(m for m in result["metrics"] if m["key"] == "ttft_p50_ms")["sides"][1]
    assert ttft["noise"].startswith("runs (2 and 2")
    assert ttft["ratio"] == pytest.approx(80 / 50, rel=0.07)


def test_different_workloads_are_compared_with_a_warning(runs: dict[str, Path], tmp_path: Path) -> None:
    result, out, stderr = _compare(str(runs["a1"]), str(runs["other"]), "--out", str(tmp_path / "w"))
    assert len(result["warnings"]) == 1 and "different workloads" in result["warnings"][0]
    assert "different workloads" in stderr and "different workloads" in (out / "compare.md").read_text()


def test_answer_drift_goes_through_the_evidently_path(runs: dict[str, Path], tmp_path: Path) -> None:
    result, out, _ = _compare(str(runs["a1"]), str(runs["b1"]), "--drift", "--out", str(tmp_path / "d"))
    (drift,) = result["drift"]
    assert drift["drifted"] and "output_tokens" in " ".join(drift["drifted_features"])
    folder = out / f"drift-{runs['b1'].name}"
    assert {"drift.html", "drift.json", "drift.md"} <= {p.name for p in folder.iterdir()}


def test_one_plain_run_is_a_usage_error(runs: dict[str, Path]) -> None:
    proc = cli("compare", str(runs["a1"]), timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "two or more runs" in lines[0], proc.stderr
