"""The `publish:` section: the live Prometheus exporter and the Pushgateway."""

from __future__ import annotations

from pydantic import Field

from harness.config._base import HttpUrl, StrictModel


class Exporter(StrictModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)  # 0: any free port


class Pushgateway(StrictModel):
    url: HttpUrl | None = None  # None: nothing is pushed
    job: str = Field(default="slm_harness", min_length=1)


class Publish(StrictModel):
    exporter: Exporter = Field(default_factory=Exporter)
    pushgateway: Pushgateway = Field(default_factory=Pushgateway)
