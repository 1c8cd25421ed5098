"""Evaluate every gate rule for one candidate against one baseline."""

from __future__ import annotations

import time

from harness.config.gate import ACCURACY, GateRules
from harness.gate.absolute import check_absolute
from harness.gate.accuracy import check_accuracy, item_changes, paired
from harness.gate.inputs import RunData
from harness.gate.performance import check_performance
from harness.gate.result import GateReport


def evaluate(rules: GateRules, baseline: RunData, candidate: RunData) -> GateReport:
    """All gate results, in rule order (absolute first), and the items whose verdict changed."""
    run = candidate.summary.get("run") or {}
    report = GateReport(
        baseline=baseline.label,
        candidate=candidate.label,
        confidence=rules.confidence,
        model=str(run.get("model") or ""),
        endpoint=str(run.get("endpoint") or ""),
    )
    for absolute in rules.absolute:
        report.results.append(check_absolute(absolute, candidate, rules.missing))
    for relative in rules.relative:
        check = check_accuracy if relative.metric == ACCURACY else check_performance
        report.results.append(check(relative, rules, baseline, candidate))
    if baseline.golden is not None and candidate.golden is not None:
        report.newly_failing, report.newly_passing = item_changes(paired(baseline.golden, candidate.golden))
    report.evaluated_at = time.time()
    return report
