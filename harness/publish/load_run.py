"""What a load run publishes, from its scenario's ``publish:`` section and the command-line overrides.

``open_exporter`` gives the live exporter to feed during the run (or None when it is off);
``push_run_summary`` pushes the finished run's summary (or does nothing when no Pushgateway is set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.config.publish import Publish
from harness.config.slo import SLO
from harness.publish.exporter import LiveExporter
from harness.publish.push import push_metrics, run_grouping_key
from harness.publish.run_summary import build_summary_registry

EXPORTER_OFF = -1  # the --exporter-port value that turns the exporter off


def open_exporter(
    publish: Publish, port_override: int | None, labels: Mapping[str, str], run_id: str, slo: SLO
) -> LiveExporter | None:
    """A started exporter with the run's info and SLOs set; None when turned off.

    ``port_override`` (``--exporter-port``) wins over ``publish.exporter.port``; -1 turns the
    exporter off, as does ``publish.exporter.enabled: false`` without an override.
    """
    settings = publish.exporter
    if port_override == EXPORTER_OFF or (port_override is None and not settings.enabled):
        return None
    port = settings.port if port_override is None else port_override
    exporter = LiveExporter(settings.host, port, labels, slo).start()
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
    return push_metrics(
        url, publish.pushgateway.job, run_grouping_key(run_id), build_summary_registry(summary)
    )
