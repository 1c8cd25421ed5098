"""Publishing a drift result to Prometheus through a Pushgateway (``slm_drift_*``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from harness.drift.result import DriftResult
from harness.publish import build_drift_registry, push_metrics, run_grouping_key
from harness.publish.catalogue import JOB_DRIFT


def drift_registry(result: DriftResult, run_id: str) -> CollectorRegistry:
    """The drift share, the verdict (`DriftResult.detected`) and every feature's score
    (as in drift.json: a distance, an AUC, or the accuracy test's p-value)."""
    return build_drift_registry(
        run_id=run_id,
        model=result.current.model or "",
        endpoint=result.current.endpoint or "",
        share=result.drift_share,
        detected=result.detected,
        feature_scores={f.feature: f.score for f in result.features},
        ended_at=result.created_at.timestamp(),
    )


def push_drift(result: DriftResult, url: str, run_id: str) -> bool:
    """Push to the Pushgateway at ``url`` under job ``slm_drift`` and the report's run id;
    False (after one warning line) when the push failed."""
    return push_metrics(url, JOB_DRIFT, run_grouping_key(run_id), drift_registry(result, run_id))
