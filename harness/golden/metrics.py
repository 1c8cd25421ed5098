"""Golden results as Prometheus metrics (names from the catalogue), pushed to a Pushgateway."""

from __future__ import annotations

from typing import Any

from harness.publish import catalogue as c
from harness.publish.push import Sample, push_metrics, registry_from_samples, run_grouping_key


def golden_samples(section: dict[str, Any], model: str, endpoint: str, ended_at: float) -> list[Sample]:
    """Accuracy and item counts by result per set, and the end time, from a ``golden`` summary section."""
    target = {c.MODEL: model, c.ENDPOINT: endpoint}
    samples: list[Sample] = []
    for set_name, block in sorted(section["sets"].items()):
        labels = {**target, "golden_set": set_name}
        if block["accuracy"] is not None:
            samples.append((c.GOLDEN_ACCURACY.name, labels, float(block["accuracy"])))
        counts = {
            c.RESULT_CORRECT: block["correct"],
            c.RESULT_INCORRECT: block["scored"] - block["correct"],
            c.RESULT_ERROR: block["transport_errors"],
        }
        samples += [(c.GOLDEN_ITEMS.name, {**labels, "result": k}, float(n)) for k, n in counts.items()]
    samples.append((c.GOLDEN_TIMESTAMP.name, target, ended_at))
    return samples


def push_golden(url: str, samples: list[Sample], run_id: str) -> bool:
    """Push as job ``slm_golden`` grouped by run id; False (after one warning line) when it failed."""
    return push_metrics(url, c.JOB_GOLDEN, run_grouping_key(run_id), registry_from_samples(samples))
