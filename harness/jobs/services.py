"""What runs beside the load: the live exporter, GPU telemetry and the server-metrics scraper.

Each is optional and none may break a run: a part that cannot start leaves a one-line notice
and the run goes on without it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from harness.analysis.cost import cost_summary
from harness.analysis.energy import gpu_summary
from harness.config.scenario import Scenario
from harness.golden.alongside import GoldenAlongside, GoldenAlongsideError
from harness.golden.output import section_for
from harness.jobs.endpoint import Target
from harness.load.context import LoadContext
from harness.publish.exporter import LiveExporter
from harness.publish.load_run import open_exporter, push_run_summary
from harness.telemetry import (
    GpuSampler,
    ServerMetricsScraper,
    metrics_url,
    read_gpu_samples,
    read_server_metrics,
)
from harness.telemetry.server_series import window_summary

log = logging.getLogger("harness.services")


class RunServices:
    def __init__(self, scenario: Scenario, run_dir: Path) -> None:
        self.scenario = scenario
        self.run_dir = run_dir
        self.exporter: LiveExporter | None = None
        self.gpu: GpuSampler | None = None
        self.server: ServerMetricsScraper | None = None
        self.golden: GoldenAlongside | None = None
        self.gpu_notice: str | None = None
        self.notices: list[str] = []  # warnings: something the user asked for did not work
        self.notes: list[str] = []  # facts of the setting, said once and quietly

    def start(self, target: Target) -> None:
        s = self.scenario
        labels = {"scenario": s.name, "model": target.model or "", "endpoint": target.name}
        try:
            self.exporter = open_exporter(s.publish, labels, self.run_dir.name, s.slo)
        except OSError as e:
            self._notice(f"live /metrics exporter not started ({e}) — run continues without it")
        if self.exporter is not None:
            log.info("live metrics on %s", self.exporter.url)
            print(f"live metrics: {self.exporter.url}", file=sys.stderr, flush=True)  # port 0: which one
        gpu_cfg = s.telemetry.gpu
        if gpu_cfg.enabled:
            self.gpu = GpuSampler(
                self.run_dir,
                interval_s=gpu_cfg.interval_s,
                gpus=gpu_cfg.gpus,
                source=gpu_cfg.source,
                url=str(gpu_cfg.url) if gpu_cfg.url else None,
                on_sample=self.exporter.observe_gpu if self.exporter is not None else None,
                query_labels=gpu_cfg.query_labels,
            )
            self.gpu_notice = self.gpu.start()
            if self.gpu_notice:
                # No local GPU where none was asked for is the setting, not a fault.
                local = gpu_cfg.source == "nvml" and not gpu_cfg.gpus
                (self.notes if local else self.notices).append(self.gpu_notice)
        server_cfg = s.telemetry.server_metrics
        if server_cfg.enabled:
            url = (
                str(server_cfg.url)
                if server_cfg.url
                else (target.metrics_url or metrics_url(target.base_url))
            )
            self.server = ServerMetricsScraper(
                self.run_dir, url, server_cfg.interval_s, headers=target.headers
            )
            notice = self.server.start()
            if notice:
                # An endpoint without known server metrics is common; a configured URL that fails is not.
                (self.notices if server_cfg.url else self.notes).append(notice)
                self.server = None

        golden = s.golden
        if golden is not None:
            ep = s.endpoint
            self.golden = GoldenAlongside(
                [Path(p) for p in golden.sets],
                target.base_url,
                target.model or "",
                self.run_dir,
                duration_s=s.load.duration_s - s.load.warmup_s - s.load.cooldown_s,
                interval_s=golden.interval_s,
                concurrency=golden.concurrency,
                api_key_env=ep.api_key_env if ep is not None else None,
                delay_s=s.load.warmup_s,
            ).__enter__()

    def _notice(self, text: str) -> None:
        self.notices.append(text)

    def sinks(self) -> list[Any]:
        return [self.exporter.observe] if self.exporter is not None else []

    def tick(self, ctx: LoadContext) -> None:
        if self.exporter is not None:
            self.exporter.set_in_flight(ctx.in_flight)
            self.exporter.set_active_users(ctx.active_users)

    def stop_live(self) -> None:
        """Wait for the golden rounds; stop sampling and write gpu.parquet / server_metrics.parquet;
        stop the exporter once its scraper has taken the last requests (while this process is
        idle, before the summary and the report keep it busy)."""
        if self.golden is not None:
            try:
                self.golden.wait()
            except GoldenAlongsideError as e:
                self._notice(str(e))
            self.golden = None
        for part in (self.gpu, self.server):
            if part is not None:
                try:
                    part.stop()
                except Exception as e:  # a telemetry fault never costs the run its results
                    self._notice(f"telemetry stopped with an error: {e}")
        if self.exporter is not None:
            self.exporter.stop()
            self.exporter = None

    def summary_sections(self, summary: dict[str, Any], run_level: bool = True) -> dict[str, Any]:
        """The ``gpu``, ``cost`` and ``server`` sections of a run's or a stage's summary over its
        window, and at run level the ``golden`` one."""
        window = summary["window"]
        golden = section_for(self.run_dir) if run_level else None
        out_tokens = summary["tokens"]["output_total"] or 0
        gpu = gpu_summary(
            read_gpu_samples(self.run_dir),
            window["start"],
            window["end"],
            out_tokens,
            reason=self.gpu_notice or (None if self.scenario.telemetry.gpu.enabled else "GPU telemetry off"),
        )
        energy = gpu["total"]["energy_j"] if gpu["available"] and gpu["total"] else None
        cost_cfg = self.scenario.cost.model_dump() if self.scenario.cost is not None else None
        cost = cost_summary(
            cost_cfg,
            window["seconds"],
            summary["requests"]["completed"],
            out_tokens,
            summary["tokens"]["input_total"] or 0,
            energy,
            golden_items=golden["scored"] if golden else None,
        )
        server = read_server_metrics(self.run_dir)
        server_view = (
            {"available": True, **window_summary(server, window["start"], window["end"])}
            if server is not None and not server.empty
            else {"available": False}
        )
        sections = {"gpu": gpu, "cost": cost, "server": server_view}
        if golden is not None:
            sections["golden"] = golden
        return sections

    def publish(self, summary: dict[str, Any], pushgateway_url: str | None) -> None:
        """Push the run's summary to the Pushgateway (when one is set)."""
        if push_run_summary(self.scenario.publish, pushgateway_url, summary) is False:
            self._notice("Pushgateway push failed; the run's files are written")

    def close(self) -> None:
        if self.golden is not None:
            self.golden.stop()
            self.golden = None
        self.stop_live()
