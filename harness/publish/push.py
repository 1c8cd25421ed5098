"""Pushing a batch job's registry to a Pushgateway.

A push is a courtesy to dashboards, never a reason for a job to fail: when the Pushgateway is
down or refuses the push, one warning line is logged and the job carries on (its files are
written either way).
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, push_to_gateway

from harness.publish import catalogue as c

log = logging.getLogger("harness.publish")

PUSH_TIMEOUT_S = 5.0


def run_grouping_key(run_id: str) -> dict[str, str]:
    """The grouping key of a run's push: one Pushgateway group per run, so runs never overwrite each other."""
    return {"run_id": run_id}


def push_metrics(
    url: str,
    job: str,
    grouping_key: Mapping[str, str],
    registry: CollectorRegistry,
    timeout_s: float = PUSH_TIMEOUT_S,
) -> bool:
    """Replace the group ``job`` + ``grouping_key`` on the Pushgateway at ``url`` with ``registry``.

    Returns True when pushed; False (after one warning line) when not.
    """
    try:
        push_to_gateway(url, job=job, registry=registry, grouping_key=dict(grouping_key), timeout=timeout_s)
    except (OSError, ValueError, http.client.HTTPException) as e:
        # URLError wraps the socket error: its reason reads better than "<urlopen error ...>".
        reason = " ".join(str(getattr(e, "reason", e)).split()) or type(e).__name__
        log.warning(
            "pushgateway %s: metrics of job %s not pushed (%s); results are kept in files", url, job, reason
        )
        return False
    return True


Sample = tuple[str, dict[str, str], float]  # (catalogue metric name, labels, value)


def registry_from_samples(samples: list[Sample]) -> CollectorRegistry:
    """A fresh registry holding `samples`; counters are incremented by their value from zero."""
    registry = CollectorRegistry()
    add_samples(registry, samples)
    return registry


def add_samples(registry: CollectorRegistry, samples: list[Sample]) -> None:
    """Register `samples` in `registry` (metrics it already holds must not be among them)."""
    metrics: dict[str, Counter | Gauge] = {}
    for name, labels, value in samples:
        if name not in metrics:
            spec = c.BY_NAME[name]
            metrics[name] = c.counter(spec, registry) if spec.kind == "counter" else c.gauge(spec, registry)
        child = metrics[name].labels(**labels)
        if isinstance(child, Counter):
            child.inc(value)
        else:
            child.set(value)
