"""The `publish:` section: the live Prometheus exporter and the Pushgateway."""

from __future__ import annotations

from pydantic import Field, field_validator

from harness.config._base import HttpUrl, StrictModel
from harness.config.errors import invalid


class Exporter(StrictModel):
    """The live /metrics endpoint of a load run (`--exporter-port N` and `--no-exporter` set it)."""

    enabled: bool = True  # false: no exporter
    host: str = "127.0.0.1"
    port: int = 9464  # 0: any free port, printed on the console when the run starts

    @field_validator("port")
    @classmethod
    def _a_port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise invalid(
                f"is not a port number (got {value})",
                "set a port from 0 (any free port) to 65535; "
                "to turn the exporter off set publish.exporter.enabled: false (or pass --no-exporter)",
            )
        return value


class Pushgateway(StrictModel):
    url: HttpUrl | None = None  # None: nothing is pushed
    job: str = Field(default="slm_harness", min_length=1)


class Publish(StrictModel):
    exporter: Exporter = Field(default_factory=Exporter)
    pushgateway: Pushgateway = Field(default_factory=Pushgateway)
