"""Evaluate every gate rule for a candidate side against a baseline side."""

from __future__ import annotations

import math
import time

from harness.config.errors import ConfigError
from harness.config.gate import ACCURACY, CAPACITY, LATENCY_METRICS, GateRules
from harness.gate.absolute import check_absolute
from harness.gate.accuracy import check_accuracy, item_changes, paired
from harness.gate.capacity import check_capacity
from harness.gate.inputs import Side
from harness.gate.noise import NoiseFloors
from harness.gate.performance import check_performance
from harness.gate.result import GateReport


def evaluate(
    rules: GateRules, baseline: Side, candidate: Side, rules_source: str | None = None
) -> GateReport:
    """All gate results, in rule order (absolute first), and the items whose verdict changed.

    Raises ConfigError when a relative rule is tighter than its calibrated noise floor
    (`rules_source` names the rules file in that message).
    """
    has_golden = baseline.golden is not None or candidate.golden is not None
    relative = rules.relative_for(has_golden)
    refuse_tight_rules(rules, baseline, candidate, rules_source)
    run = candidate.summary.get("run") or {}
    report = GateReport(
        baseline=baseline.describe(),
        candidate=candidate.describe(),
        confidence=rules.confidence,
        model=str(run.get("model") or ""),
        endpoint=str(run.get("endpoint") or ""),
    )
    for absolute in rules.absolute:
        report.results.append(check_absolute(absolute, candidate, rules.missing))
    checks = {ACCURACY: check_accuracy, CAPACITY: check_capacity}
    for gate in relative:
        report.results.append(checks.get(gate.metric, check_performance)(gate, rules, baseline, candidate))
    if baseline.golden is not None and candidate.golden is not None:
        report.newly_failing, report.newly_passing = item_changes(paired(baseline.golden, candidate.golden))
    report.evaluated_at = time.time()
    return report


def refuse_tight_rules(rules: GateRules, baseline: Side, candidate: Side, rules_source: str | None) -> None:
    """Raise ConfigError for the first performance rule tighter than its noise floor."""
    floors = baseline.noise or candidate.noise
    if floors is None:
        return
    runs_b, runs_c = max(1, len(baseline.load_runs)), max(1, len(candidate.load_runs))
    for index, gate in enumerate(rules.relative):
        if gate.metric in (ACCURACY, CAPACITY):
            continue
        key = f"{gate.metric}.{gate.stat}" if gate.metric in LATENCY_METRICS else gate.metric
        floor = floors.floor_pct(key, runs_b, runs_c, rules.confidence)
        limit = getattr(gate, gate.threshold_field)
        if floor is None or limit >= floor:
            continue
        needed = math.ceil(floor * 10) / 10
        more = _runs_for(floors, key, limit, runs_b, rules.confidence)
        raise ConfigError(
            rules_source if rules_source is not None else "(default rules)",
            f"relative[{index}].{gate.threshold_field}",
            f"{limit:g} is tighter than the noise floor of {key}, {floor:.1f}% for {runs_b} baseline and"
            f" {runs_c} candidate run(s) (calibrated from {floors.runs} A/A runs)",
            f"set {gate.threshold_field} to {needed:g} or more"
            + (f", or give {more} candidate runs (run --repeat {more})" if more else ""),
        )


def _runs_for(floors: NoiseFloors, key: str, limit: float, runs_b: int, confidence: float) -> int | None:
    """The fewest candidate runs (up to 10) whose floor is within `limit`, if any."""
    for runs in range(2, 11):
        floor = floors.floor_pct(key, runs_b, runs, confidence)
        if floor is not None and floor <= limit:
            return runs
    return None
