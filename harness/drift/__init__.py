"""Drift reports: has the traffic or the model's behaviour changed between two windows?

Sources are harness run directories or production request logs (JSONL); features are
per-request numbers and offline text descriptors; Evidently measures the drift (imported
only when a report is computed); golden accuracy gets a two-proportion test of its own.
"""

from harness.drift.compare import compare, write_report
from harness.drift.config import DriftConfig, load_config
from harness.drift.jobs import compare_sources, out_dir_for, weekly_report
from harness.drift.logs import read_logs
from harness.drift.metrics import drift_registry, push_drift
from harness.drift.result import DriftResult, FeatureDrift
from harness.drift.sample import Sample
from harness.drift.sources import load_source
from harness.drift.synth import generate_logs
from harness.drift.weeks import IsoWeek

__all__ = [
    "DriftConfig",
    "DriftResult",
    "FeatureDrift",
    "IsoWeek",
    "Sample",
    "compare",
    "compare_sources",
    "drift_registry",
    "generate_logs",
    "load_config",
    "load_source",
    "out_dir_for",
    "push_drift",
    "read_logs",
    "weekly_report",
    "write_report",
]
