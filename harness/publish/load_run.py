"""What a load run publishes, from its scenario's ``publish:`` section (command-line options are
scenario overrides: ``--exporter-port`` sets ``publish.exporter.port``, ``--no-exporter``
``publish.exporter.enabled``).

``open_exporter`` gives the live exporter to feed during the run (or None when it is off);
``push_run_summary`` pushes the finished run's summary (or does nothing when no Pushgateway is set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.config.publish import Publish
from harness.config.slo import SLO
from harness.publish.compare import comparison_samples
from harness.publish.exporter import LiveExporter
from harness.publish.push import add_samples, push_metrics, run_grouping_key
from harness.publish.run_summary import build_summary_registry


def open_exporter(publish: Publish, labels: Mapping[str, str], run_id: str, slo: SLO) -> LiveExporter | None:
    """A started exporter with the run's info and SLOs set; None when ``publish.exporter.enabled``
    is false. Port 0 picks a free port (``exporter.port`` tells which)."""
    settings = publish.exporter
    if not settings.enabled:
        return None
    exporter = LiveExporter(settings.host, settings.port, labels, slo).start()
    exporter.set_run_info(run_id)
    return exporter


def push_run_summary(publish: Publish, url_override: str | None, summary: Mapping[str, Any]) -> bool | None:
    """Push the run's ``slm_run_*`` gauges, grouped by its run id; None when no Pushgateway is set.

    False (after one warning line) when the push failed: the run's files are written regardless.
    """
    url = url_override or (str(publish.pushgateway.url) if publish.pushgateway.url else None)
    if url is None:
        return None
    run_id = str(summary["run"]["run_id"])
    # Each stage of a multi-stage run, and each target of a run over several, is pushed as its
    # own slice beside the run as a whole; a comparison of targets adds its gauges.
    slices = {(str(stage["name"]), ""): stage for stage in summary.get("stages") or []}
    slices |= {("", str(block["name"])): block for block in summary.get("targets") or []}
    registry = build_summary_registry(summary, slices)
    if "compare" in summary:
        add_samples(registry, comparison_samples(str(summary["run"]["scenario"]), summary["compare"]))
    return push_metrics(url, publish.pushgateway.job, run_grouping_key(run_id), registry)
