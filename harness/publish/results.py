"""Registries for the batch jobs' results (golden sets, gate, drift), to push once per job.

Each job computes its own numbers; these functions only give them their catalogue names and
labels. Every registry carries ``slm_run_info`` (joins the run id of the grouping key to the
model and endpoint) and the job's ``*_timestamp_seconds``, which dashboards use to pick the
latest run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from harness import __version__
from harness.publish import catalogue as c


@dataclass(frozen=True)
class GoldenSetScore:
    """The outcome of one golden set in a run; ``baseline_accuracy`` None when none was compared."""

    golden_set: str
    accuracy: float
    correct: int
    incorrect: int
    errors: int
    baseline_accuracy: float | None = None


def _registry(
    run_id: str, model: str, endpoint: str, stamp: c.MetricSpec, ended_at: float
) -> CollectorRegistry:
    registry = CollectorRegistry()
    c.gauge(c.RUN_INFO, registry).labels(run_id, "", model, endpoint, __version__).set(1)
    c.gauge(stamp, registry).labels(model, endpoint).set(ended_at)
    return registry


def build_golden_registry(
    run_id: str, model: str, endpoint: str, sets: Iterable[GoldenSetScore], ended_at: float
) -> CollectorRegistry:
    """``slm_golden_*`` for each golden set of a run."""
    registry = _registry(run_id, model, endpoint, c.GOLDEN_TIMESTAMP, ended_at)
    accuracy = c.gauge(c.GOLDEN_ACCURACY, registry)
    baseline = c.gauge(c.GOLDEN_BASELINE_ACCURACY, registry)
    items = c.counter(c.GOLDEN_ITEMS, registry)
    for s in sets:
        accuracy.labels(model, endpoint, s.golden_set).set(s.accuracy)
        if s.baseline_accuracy is not None:
            baseline.labels(model, endpoint, s.golden_set).set(s.baseline_accuracy)
        for result, n in (
            (c.RESULT_CORRECT, s.correct),
            (c.RESULT_INCORRECT, s.incorrect),
            (c.RESULT_ERROR, s.errors),
        ):
            items.labels(model, endpoint, s.golden_set, result).inc(n)
    return registry


def build_gate_registry(
    run_id: str, model: str, endpoint: str, rules: Mapping[str, bool], ended_at: float
) -> CollectorRegistry:
    """``slm_gate_passed`` per rule (name -> passed) and the count of failed rules."""
    registry = _registry(run_id, model, endpoint, c.GATE_TIMESTAMP, ended_at)
    passed = c.gauge(c.GATE_PASSED, registry)
    for rule, ok in rules.items():
        passed.labels(model, endpoint, rule).set(1 if ok else 0)
    c.counter(c.GATE_FAILED, registry).labels(model, endpoint).inc(sum(not ok for ok in rules.values()))
    return registry


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
    registry = _registry(run_id, model, endpoint, c.DRIFT_TIMESTAMP, ended_at)
    c.gauge(c.DRIFT_SHARE, registry).labels(model, endpoint).set(share)
    c.gauge(c.DRIFT_DETECTED, registry).labels(model, endpoint).set(1 if detected else 0)
    scores = c.gauge(c.DRIFT_FEATURE_SCORE, registry)
    for feature, score in feature_scores.items():
        scores.labels(model, endpoint, feature).set(score)
    return registry
