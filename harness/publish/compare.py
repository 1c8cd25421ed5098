"""A comparison's answer agreement and paired accuracy as gauges with a ``target`` label.

Both a multi-target run's ``compare`` block and ``compare.json`` hold ``agreement`` and
``accuracy`` lists (one entry per target against the reference); each entry becomes series
labelled ``target`` (the other side) and ``reference``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.publish import catalogue as c
from harness.publish.push import Sample, push_metrics, registry_from_samples, run_grouping_key


def comparison_samples(scenario: str, comparison: Mapping[str, Any]) -> list[Sample]:
    samples: list[Sample] = []
    for agree in comparison.get("agreement", []):
        if not agree["pairs"]:
            continue
        labels = {c.SCENARIO: scenario, c.TARGET: agree["other"], "reference": agree["reference"]}
        samples.append((c.ANSWER_PAIRS.name, labels, float(agree["pairs"])))
        for measure in c.AGREEMENT_MEASURES:
            samples.append((c.ANSWER_AGREEMENT.name, {**labels, "measure": measure}, float(agree[measure])))
    for acc in comparison.get("accuracy", []):
        if acc["difference_points"] is None:
            continue
        reference = acc["reference"]
        other = {c.SCENARIO: scenario, c.TARGET: acc["other"], "reference": reference}
        own = {c.SCENARIO: scenario, c.TARGET: reference, "reference": reference}
        samples.append((c.COMPARE_ACCURACY.name, other, float(acc["other_accuracy"])))
        samples.append((c.COMPARE_ACCURACY.name, own, float(acc["reference_accuracy"])))
        samples.append((c.COMPARE_ACCURACY_P_VALUE.name, other, float(acc["p_value"])))
    return samples


def push_comparison(url: str, result: Mapping[str, Any], run_id: str, scenario: str = "compare") -> bool:
    """Push ``compare.json``'s gauges to the Pushgateway, grouped by ``run_id``."""
    registry = registry_from_samples(comparison_samples(scenario, result))
    return push_metrics(url, c.JOB_COMPARE, run_grouping_key(run_id), registry)
