"""The drift job's result as a registry to push (``slm_drift_*``).

The drift stage computes its numbers; this gives them their catalogue names and labels. The
registry also carries ``slm_run_info`` (joins the run id of the grouping key to the model and
endpoint) and ``slm_drift_timestamp_seconds``, which dashboards and alerts use to pick the
newest report.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry

from harness import __version__
from harness.publish import catalogue as c


def build_drift_registry(
    run_id: str,
    model: str,
    endpoint: str,
    share: float,
    detected: bool,
    feature_scores: Mapping[str, float],
    ended_at: float,
) -> CollectorRegistry:
    """``slm_drift_*``: the drifted share, the dataset verdict and each feature's score."""
    registry = CollectorRegistry()
    c.gauge(c.RUN_INFO, registry).labels(run_id, "", model, endpoint, __version__).set(1)
    c.gauge(c.DRIFT_TIMESTAMP, registry).labels(model, endpoint).set(ended_at)
    c.gauge(c.DRIFT_SHARE, registry).labels(model, endpoint).set(share)
    c.gauge(c.DRIFT_DETECTED, registry).labels(model, endpoint).set(1 if detected else 0)
    scores = c.gauge(c.DRIFT_FEATURE_SCORE, registry)
    for feature, score in feature_scores.items():
        scores.labels(model, endpoint, feature).set(score)
    return registry
