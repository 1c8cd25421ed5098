"""Gate outputs: gate.xml read by a real JUnit parser, gate.md, gate.json, metrics on a real Pushgateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped

from harness.config.gate import AbsoluteGate, GateRules, RelativeGate
from harness.gate import Side, evaluate, gate_metrics, load_side, push_gate, write_outputs
from harness.gate.result import GateReport
from tests._golden_fixtures import golden_run_dir, grouped_set
from tests.support_prometheus import pushgateway

RULES = GateRules(
    absolute=[
        AbsoluteGate(metric="golden.accuracy", min=0.85),
        AbsoluteGate(metric="errors.rate", max=0.01),
        AbsoluteGate(name="goodput floor", metric="goodput.requests_per_s", min=0.0),
        AbsoluteGate(metric="latency.e2e_ms.p95", max=60_000),
    ],
    # The latency and throughput gates are wide on purpose: two golden-only bursts on a busy
    # machine differ in speed by chance, and this module checks the outputs, not the statistics
    # (tests/test_gate_latency.py does that). Golden requests are not streamed, so they have an
    # E2E latency but no TTFT or ITL: the ITL gate is missing its data.
    relative=[
        RelativeGate(metric="accuracy", max_drop_points=2.0),
        RelativeGate(metric="e2e_ms", stat="p95", max_increase_pct=300.0),
        RelativeGate(metric="itl_ms", stat="p50", max_increase_pct=300.0),
    ],
)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[GateReport, Side, Side]:
    root = tmp_path_factory.mktemp("gate-outputs")
    golden_set = grouped_set(root, n=60, groups=6)
    base = golden_run_dir(golden_set, root / "runs", golden_accuracy_by_tag={"g0": 0.0})
    cand = golden_run_dir(golden_set, root / "runs", golden_accuracy_by_tag={"g0": 0.0, "g1": 0.0, "g2": 0.0})
    baseline, candidate = load_side([str(base)], "--baseline"), load_side([str(cand)], "--candidate")
    # A gate on a number no golden-only run has: with `missing: skip`, skipped rather than failed.
    no_cost = AbsoluteGate(metric="extra.cost.per_query_usd", max=1)
    rules = RULES.model_copy(update={"absolute": [*RULES.absolute, no_cost], "missing": "skip"})
    return evaluate(rules, baseline, candidate), baseline, candidate


def test_gate_xml_has_one_junit_case_per_gate(
    compared: tuple[GateReport, Side, Side], tmp_path: Path
) -> None:
    report = compared[0]
    write_outputs(report, tmp_path)
    xml = JUnitXml.fromfile(str(tmp_path / "gate.xml"))
    (suite,) = list(xml)
    cases = {case.name: case for case in suite}
    assert list(cases) == [r.name for r in report.results] and len(cases) == 8
    assert (suite.tests, suite.failures, suite.skipped) == (8, 2, 2)
    failed = {name for name, case in cases.items() if any(isinstance(r, Failure) for r in case.result)}
    assert failed == {"golden.accuracy ≥ 0.85", "accuracy ≥ -2 points vs baseline"}
    skipped = {name for name, case in cases.items() if any(isinstance(r, Skipped) for r in case.result)}
    assert skipped == {"extra.cost.per_query_usd ≤ 1", "itl_ms p50 ≤ +300% vs baseline"}
    accuracy_case = cases["accuracy ≥ -2 points vs baseline"]
    assert "newly failing items (20):" in accuracy_case.system_out
    out = accuracy_case.system_out
    assert "effect: 33.33 points (drop)" in out and "interval (95%): " in out and "p-value: " in out
    assert "noise floor: not applicable" in out
    assert "interval covers: items (60 paired; 1 and 1 answers per item, averaged per item)" in out
    ttft = cases["e2e_ms p95 ≤ +300% vs baseline"].system_out
    assert (
        "effect: " in ttft
        and "(ratio candidate / baseline)" in ttft
        and "noise floor: not calibrated" in ttft
    )
    assert "interval covers: requests of one run a side; run-to-run noise not covered" in ttft
    missing = "result: missing: extra.cost.per_query_usd is not in the summary of "
    assert missing in cases["extra.cost.per_query_usd ≤ 1"].system_out
    assert {case.classname for case in suite} == {"gate.absolute", "gate.relative"}


def test_gate_md_and_json_carry_the_verdicts_and_changed_items(
    compared: tuple[GateReport, Side, Side], tmp_path: Path
) -> None:
    report = compared[0]
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n", encoding="utf-8")
    write_outputs(report, tmp_path / "out", step_summary)
    markdown = (tmp_path / "out" / "gate.md").read_text(encoding="utf-8")
    assert markdown.startswith("## ❌ slm-harness gate failed (2 of 8 gates)")
    assert "| ❌ | accuracy ≥ -2 points vs baseline | 83.3% | 50.0% | -33.3 pts (" in markdown
    assert "| ≥ -2 points | – | items (60 paired;" in markdown
    assert "### Newly failing items (20)" in markdown and "Newly passing" not in markdown
    assert "a calibrated noise floor stands in for run-to-run noise" in markdown
    assert step_summary.read_text(encoding="utf-8") == "earlier step\n" + markdown + "\n"
    data = json.loads((tmp_path / "out" / "gate.json").read_text(encoding="utf-8"))
    assert data["passed"] is False and len(data["newly_failing"]) == 20
    assert [r["status"] for r in data["results"]] == [r.status for r in report.results]


def test_gate_results_reach_a_real_pushgateway(
    compared: tuple[GateReport, Side, Side], tmp_path: Path
) -> None:
    report, baseline, candidate = compared
    samples = gate_metrics(report, baseline, candidate)
    with pushgateway(tmp_path) as gateway:
        assert push_gate(gateway.url, samples, "run-under-test")
        text = gateway.metrics_text()
    assert 'slm_gate_passed{endpoint="' in text
    passed_lines = [line for line in text.splitlines() if line.startswith("slm_gate_passed{")]
    assert len(passed_lines) == 6  # the skipped gates publish nothing
    assert any(
        'gate="accuracy ≥ -2 points vs baseline"' in line and line.endswith(" 0") for line in passed_lines
    )
    assert any('gate="errors.rate ≤ 0.01"' in line and line.endswith(" 1") for line in passed_lines)
    assert 'job="slm_gate"' in text and 'run_id="run-under-test"' in text
    failed = [line for line in text.splitlines() if line.startswith("slm_gate_failed_total{")]
    assert len(failed) == 1 and failed[0].endswith(" 2")
    golden = [line for line in text.splitlines() if line.startswith("slm_golden_baseline_accuracy_ratio{")]
    assert len(golden) == 1 and 'golden_set="quality"' in golden[0]
