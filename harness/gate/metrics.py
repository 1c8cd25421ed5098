"""Gate results as Prometheus metrics (names from the catalogue), pushed to a Pushgateway."""

from __future__ import annotations

from harness.gate.inputs import Side
from harness.gate.result import GateReport
from harness.publish import catalogue as c
from harness.publish.push import Sample, push_metrics, registry_from_samples, run_grouping_key


def gate_metrics(report: GateReport, baseline: Side, candidate: Side) -> list[Sample]:
    """Every sample a gate evaluation publishes, as (metric name, labels, value).

    ``slm_gate_passed`` per evaluated gate (skipped gates publish nothing), the count of
    failed gates, the evaluation time, and the golden accuracy of both sides per set.
    """
    target = {c.MODEL: report.model, c.ENDPOINT: report.endpoint}
    samples: list[Sample] = [
        (c.GATE_PASSED.name, {**target, "gate": r.name}, float(r.status == "pass"))
        for r in report.results
        if r.status != "skip"
    ]
    samples.append((c.GATE_FAILED.name, target, float(len(report.failed))))
    samples.append((c.GATE_TIMESTAMP.name, target, report.evaluated_at))
    for spec, side in ((c.GOLDEN_ACCURACY, candidate), (c.GOLDEN_BASELINE_ACCURACY, baseline)):
        sets = (side.golden_section() or side.summary.get("golden") or {}).get("sets") or {}
        for set_name, block in sorted(sets.items()):
            if block.get("accuracy") is not None:
                samples.append((spec.name, {**target, "golden_set": set_name}, float(block["accuracy"])))
    return samples


def push_gate(url: str, samples: list[Sample], run_id: str) -> bool:
    """Push as job ``slm_gate`` grouped by the candidate's run id; False (one warning line) when not."""
    return push_metrics(url, c.JOB_GATE, run_grouping_key(run_id), registry_from_samples(samples))
