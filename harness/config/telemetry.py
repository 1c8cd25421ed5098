"""The `telemetry:` section: GPU sampling and scraping the server's own /metrics during a run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat, model_validator

from harness.config._base import HttpUrl, StrictModel
from harness.config.errors import invalid


class GpuTelemetry(StrictModel):
    enabled: bool = True
    interval_s: PositiveFloat = 1.0
    # nvml: the local GPUs; dcgm: a dcgm-exporter /metrics URL; prometheus: a Prometheus base URL.
    source: Literal["nvml", "dcgm", "prometheus"] = "nvml"
    gpus: list[int | str] = Field(default_factory=list)  # indices or UUIDs; empty: all
    url: HttpUrl | None = None
    query_labels: dict[str, str] = Field(default_factory=dict)  # label filters for prometheus queries

    @model_validator(mode="after")
    def _url_for_remote_sources(self) -> GpuTelemetry:
        if self.enabled and self.source != "nvml" and self.url is None:
            raise invalid(
                f"source {self.source} needs a url",
                "set url to the dcgm-exporter /metrics URL or the Prometheus base URL",
                at="url",
            )
        return self


class ServerMetrics(StrictModel):
    enabled: bool = True
    interval_s: PositiveFloat = 2.0
    url: HttpUrl | None = None  # None: the endpoint's /metrics


class Telemetry(StrictModel):
    gpu: GpuTelemetry = Field(default_factory=GpuTelemetry)
    server_metrics: ServerMetrics = Field(default_factory=ServerMetrics)
