"""The capacity gate (`metric: slo_rps`) on capacity-search answers with known brackets.

Each side is a run directory whose summary holds a ``capacity`` block as ``slm-harness
capacity`` writes it (tests/test_capacity.py checks those blocks against a known service
model): the answer and the probes met and missed. The gate's verdict follows from the
brackets, written down here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli.app import run_app

RULES = "relative:\n  - metric: slo_rps\n    max_decrease_pct: 10\n"


def _probe(stage: str, passed: bool, **load: float) -> dict[str, Any]:
    return {"stage": stage, **load, "passed": passed}


def _run(root: Path, name: str, capacity: dict[str, Any] | None) -> Path:
    run = root / name
    run.mkdir(parents=True)
    summary: dict[str, Any] = {"run": {"run_id": name, "model": "m", "endpoint": "e"}}
    if capacity is not None:
        summary["capacity"] = capacity
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return run


def _by_rate(slo_rps: float, met: list[float], missed: list[float]) -> dict[str, Any]:
    probes = [_probe(f"met-{r}", True, rate_rps=r) for r in met]
    probes += [_probe(f"missed-{r}", False, rate_rps=r) for r in missed]
    # The one-user probe is not a rate: it never enters the bracket.
    probes.insert(0, _probe("sync", True, users=1))
    return {"by": "rate", "slo_rps": slo_rps, "probes": probes}


@pytest.fixture
def gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    rules = tmp_path / "gates.yaml"
    rules.write_text(RULES, encoding="utf-8")

    def run(baseline: Path, candidate: Path) -> tuple[int, dict[str, Any]]:
        out = tmp_path / f"out-{baseline.name}-{candidate.name}"
        args = ["gate", "--baseline", str(baseline), "--candidate", str(candidate), "--rules", str(rules)]
        code = run_app([*args, "--out", str(out)])
        capsys.readouterr()
        (result,) = json.loads((out / "gate.json").read_text(encoding="utf-8"))["results"]
        return code, result

    return run


def test_a_drop_past_the_bracket_fails_with_its_bracket_as_interval(tmp_path: Path, gate: Any) -> None:
    baseline = _run(tmp_path, "base", _by_rate(10.0, met=[5.0, 10.0], missed=[11.0, 12.0]))
    candidate = _run(tmp_path, "cand", _by_rate(8.0, met=[5.0, 8.0], missed=[9.0, 12.0]))
    code, result = gate(baseline, candidate)
    assert code == 1 and result["status"] == "fail"
    assert (result["baseline"], result["candidate"], result["estimate"]) == (10.0, 8.0, 0.8)
    # Capacities in [10, 11) and [8, 9): their ratio lies in [8/11, 9/10).
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((8 / 11, 9 / 10))
    assert "missed the SLOs at 9 req/s, which the baseline met" in result["message"]


def test_a_small_drop_passes(tmp_path: Path, gate: Any) -> None:
    baseline = _run(tmp_path, "base", _by_rate(10.0, met=[10.0], missed=[11.0]))
    candidate = _run(tmp_path, "cand", _by_rate(9.5, met=[9.5], missed=[10.0]))
    code, result = gate(baseline, candidate)
    # Significant (the candidate missed 10 req/s, which the baseline met) but within 10 %.
    assert code == 0 and result["status"] == "pass" and result["estimate"] == 0.95
    assert "within 10%" in result["message"]


def test_a_drop_inside_a_coarse_bracket_is_not_significant(tmp_path: Path, gate: Any) -> None:
    baseline = _run(tmp_path, "base", _by_rate(10.0, met=[10.0], missed=[14.0]))
    # 15 % lower, but the candidate was never seen missing a load the baseline met.
    candidate = _run(tmp_path, "cand", _by_rate(8.5, met=[8.5], missed=[10.5]))
    code, result = gate(baseline, candidate)
    assert code == 0 and result["status"] == "pass"
    assert "lower by more than 10% but not significant" in result["message"]
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((8.5 / 14, 10.5 / 10))


def test_several_runs_a_side_need_every_baseline_run_beaten(tmp_path: Path, gate: Any) -> None:
    base = tmp_path / "base-group"
    _run(base, "r1", _by_rate(10.0, met=[10.0], missed=[11.0]))
    _run(base, "r2", _by_rate(9.0, met=[9.0], missed=[10.0]))
    cand = tmp_path / "cand-group"
    _run(cand, "r1", _by_rate(8.0, met=[8.0], missed=[9.0]))
    _run(cand, "r2", _by_rate(7.0, met=[7.0], missed=[8.0]))
    code, result = gate(base, cand)
    # Means 9.5 and 7.5; every candidate run missed at 9 req/s or less, which both baseline runs met.
    assert code == 1 and result["estimate"] == pytest.approx(7.5 / 9.5)
    assert (result["baseline_runs"], result["candidate_runs"]) == (2, 2)
    slow = tmp_path / "cand-slow"
    _run(slow, "r1", _by_rate(8.0, met=[8.0], missed=[9.0]))
    _run(slow, "r2", _by_rate(8.0, met=[8.0], missed=[9.5]))  # 9.5 > 9: one baseline run missed it too
    code, result = gate(base, slow)
    assert code == 0 and "not significant" in result["message"]


def test_concurrency_searches_compare_users_met_and_missed(tmp_path: Path, gate: Any) -> None:
    def by_users(slo_rps: float, users: int) -> dict[str, Any]:
        probes = [_probe("u", True, users=users), _probe("u+1", False, users=users + 1)]
        return {"by": "concurrency", "slo_rps": slo_rps, "slo_concurrency": users, "probes": probes}

    baseline = _run(tmp_path, "base", by_users(10.9, 8))
    candidate = _run(tmp_path, "cand", by_users(8.2, 6))
    code, result = gate(baseline, candidate)
    assert code == 1 and "missed the SLOs at 7 users, which the baseline met" in result["message"]
    assert result["ci_low"] is None  # throughput between loads of users is not bracketed


def test_what_cannot_be_compared_is_missing_and_fails(tmp_path: Path, gate: Any) -> None:
    baseline = _run(tmp_path, "base", _by_rate(10.0, met=[10.0], missed=[11.0]))
    plain = _run(tmp_path, "plain", None)
    code, result = gate(baseline, plain)
    assert code == 1 and result["message"].startswith("missing: no capacity search")
    users = _run(tmp_path, "users", {"by": "concurrency", "slo_rps": 9.0, "slo_concurrency": 8, "probes": []})
    code, result = gate(baseline, users)
    assert code == 1 and "one side searched by rate, the other by concurrency" in result["message"]


def test_the_rule_takes_a_decrease_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("relative:\n  - metric: slo_rps\n    max_increase_pct: 10\n", encoding="utf-8")
    run = _run(tmp_path, "r", _by_rate(10.0, met=[10.0], missed=[11.0]))
    assert run_app(["gate", "--baseline", str(run), "--candidate", str(run), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.yaml" in err[0] and "max_decrease_pct" in err[0]
