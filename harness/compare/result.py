"""``compare_sides``: sides in, the ``compare.json`` content out."""

from __future__ import annotations

import time
from typing import Any

from harness.compare.accuracy import compare_accuracy, wilson_interval
from harness.compare.agreement import agreement
from harness.compare.effects import METRICS, effect, side_value
from harness.compare.sides import Side, warnings_for

SCHEMA_VERSION = 1


def compare_sides(sides: list[Side]) -> dict[str, Any]:
    """Every side against the first: metrics with ratios and intervals, agreement, accuracy."""
    reference = sides[0]
    metrics = []
    for metric in METRICS:
        per_side = [{"label": reference.label, "value": side_value(reference, metric)}]
        per_side += [{"label": side.label, **effect(reference, side, metric)} for side in sides[1:]]
        if any(entry["value"] is not None for entry in per_side):
            metrics.append(
                {
                    "key": metric.key,
                    "label": metric.label,
                    "unit": metric.unit,
                    "higher_is_better": metric.higher_is_better,
                    "sides": per_side,
                }
            )
    return {
        "schema_version": SCHEMA_VERSION,
        "created_at": time.time(),
        "reference": reference.label,
        "warnings": warnings_for(sides),
        "sides": [_side(side) for side in sides],
        "metrics": metrics,
        "agreement": [
            {"reference": reference.label, "other": side.label, **agreement(reference.records, side.records)}
            for side in sides[1:]
        ],
        "accuracy": [
            {
                "reference": reference.label,
                "other": side.label,
                **compare_accuracy(reference.correct, side.correct),
            }
            for side in sides[1:]
            if reference.correct is not None and side.correct is not None
        ],
    }


def _side(side: Side) -> dict[str, Any]:
    run = side.summary.get("run", {})
    return {
        "label": side.label,
        "run_ids": sorted({str(u.summary.get("run", {}).get("run_id")) for u in side.units}),
        "run_dirs": [str(p) for p in side.run_dirs],
        "model": run.get("model"),
        "endpoint": run.get("endpoint"),
        "repetitions": len(side.units),
        "requests": sum(int(u.summary["requests"]["total"]) for u in side.units),
        "accuracy": float(side.correct.mean()) if side.correct is not None and len(side.correct) else None,
        "golden_items": len(side.correct) if side.correct is not None else 0,
        "accuracy_interval": wilson_interval(int(side.correct.sum()), len(side.correct))
        if side.correct is not None and len(side.correct)
        else None,
        "key": {metric.key: side_value(side, metric) for metric in METRICS},
        "stages": [
            {
                "name": stage["name"],
                "ttft_p50_ms": stage["latency"]["ttft_ms"]["p50"],
                "e2e_p95_ms": stage["latency"]["e2e_ms"]["p95"],
                "requests_per_s": stage["throughput"]["requests_per_s"],
                "target": stage.get("target", {}),
            }
            for stage in side.summary.get("stages", [])
        ],
    }
