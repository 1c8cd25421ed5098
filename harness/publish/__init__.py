"""Publishing to Prometheus: the metric catalogue, the live exporter and Pushgateway pushes."""

from harness.publish.exporter import LiveExporter
from harness.publish.push import push_metrics, run_grouping_key
from harness.publish.results import build_drift_registry
from harness.publish.run_summary import build_summary_registry

__all__ = [
    "LiveExporter",
    "build_drift_registry",
    "build_summary_registry",
    "push_metrics",
    "run_grouping_key",
]
