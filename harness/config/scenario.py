"""A scenario: one YAML file saying what to load, with what traffic, for how long, judged how.

`load_scenario` reads and validates it (every mistake is a one-line `ConfigError`);
`scenario_to_yaml` writes it back as run, with secrets removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import Field, ValidationError, model_validator

from harness.config._base import BASE_DIR, StrictModel
from harness.config.cost import Cost
from harness.config.endpoint import SOURCE_FILE, Endpoint
from harness.config.errors import invalid
from harness.config.golden import GoldenConfig
from harness.config.load import CLOSED_LOOP, LoadConfig, TraceProfile
from harness.config.overrides import Overrides
from harness.config.publish import Publish
from harness.config.server import ServerConfig
from harness.config.simulator import SimulatorOptions
from harness.config.slo import SLO
from harness.config.targets import CompareConfig, TargetEndpoint, check_targets
from harness.config.telemetry import Telemetry
from harness.config.validation import from_validation_error
from harness.config.workload import ConversationsSource, WorkloadConfig
from harness.config.yaml_io import apply_overrides, read_yaml

REDACTED = "***"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key"})
_SECRET_ENV = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)


class Scenario(StrictModel):
    name: str = Field(min_length=1)  # defaults to the file name without .yaml
    description: str = ""
    endpoint: Endpoint | None = None  # None (and no server): the embedded simulator
    simulator: SimulatorOptions = Field(default_factory=SimulatorOptions)
    workload: WorkloadConfig
    load: LoadConfig
    slo: SLO = Field(default_factory=SLO)
    cost: Cost | None = None
    telemetry: Telemetry = Field(default_factory=Telemetry)
    publish: Publish = Field(default_factory=Publish)
    golden: GoldenConfig | None = None
    server: ServerConfig | None = None
    targets: list[TargetEndpoint] | None = None  # several named endpoints instead of one
    compare: CompareConfig = Field(default_factory=CompareConfig)

    @model_validator(mode="after")
    def _one_target(self) -> Scenario:
        if self.targets is not None:
            return self._several_targets(self.targets)
        has_url = self.endpoint is not None and self.endpoint.base_url is not None
        if self.server is not None and has_url:
            raise invalid(
                "is set together with a server section that launches its own",
                "remove endpoint.base_url, or remove the server section",
                at="endpoint.base_url",
            )
        if self.server is None and self.endpoint is not None and not has_url:
            raise invalid(
                "is required when there is no server section",
                "set endpoint.base_url (e.g. http://127.0.0.1:8000/v1), add a server section, "
                "or leave out the endpoint section to load the built-in simulator",
                at="endpoint.base_url",
            )
        return self

    def _several_targets(self, targets: list[TargetEndpoint]) -> Scenario:
        for section in ("endpoint", "server", "golden"):
            if getattr(self, section) is not None:
                fix = {
                    "endpoint": "move its settings into each target",
                    "server": "start the servers first and give each target its base_url",
                    "golden": "list the golden sets under compare.golden: they score the load's own answers",
                }[section]
                raise invalid("is set together with targets", fix, at=section)
        check_targets(targets, self.compare)
        return self

    @model_validator(mode="after")
    def _source_fits_profile(self) -> Scenario:
        profile, source = self.load.profile, self.workload.source
        if isinstance(profile, TraceProfile):
            if source is not None:
                raise invalid(
                    "is set, but the trace profile supplies the prompts",
                    "remove workload.source (keep max_tokens, ignore_eos, seed…)",
                    at="workload.source",
                )
        elif source is None:
            raise invalid(
                "is missing",
                "give workload.source (synthetic, inline, jsonl, sharegpt or conversations)",
                at="workload.source",
            )
        if isinstance(source, ConversationsSource) and not isinstance(profile, CLOSED_LOOP):
            raise invalid(
                f"conversations run as sessions held by users, which a {profile.type} profile has none of",
                "use a concurrency, ramp, steps or spike profile (users = concurrent sessions)",
                at="load.profile.type",
            )
        return self

    @property
    def uses_simulator(self) -> bool:
        """True when the run starts the embedded simulator as its target."""
        return self.endpoint is None and self.server is None and not self.targets

    @property
    def api(self) -> Literal["chat", "completions"]:
        if self.targets:
            return self.targets[0].api
        return self.endpoint.api if self.endpoint is not None else "chat"


def load_scenario(path: Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override and validate the scenario at `path`.

    `overrides` maps dotted keys (`load.duration_s`, `endpoint.base_url`, `load.profile.steps.0.users`)
    to values set before validation, in order; an `Overrides` also names the option behind each
    key for errors. Values are used as given; validation converts numeric and boolean strings
    (`"5"`, `"true"`) where the field wants a number or a flag.
    Relative paths in the file are read from the file's folder. Raises `ConfigError`.
    """
    path = Path(path)
    data = read_yaml(path)
    overrides = overrides or {}
    origins = {
        key: overrides.origin(key) if isinstance(overrides, Overrides) else f"override {key}"
        for key in overrides
    }
    data = apply_overrides(data, overrides, str(path), origins)
    data.setdefault("name", path.stem)
    context = {BASE_DIR: path.parent.resolve(), SOURCE_FILE: str(path)}
    try:
        return Scenario.model_validate(data, context=context)
    except ValidationError as e:
        raise from_validation_error(e, str(path), Scenario, origins) from None


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML with every default spelled out and secrets replaced by ``***``.

    Keys are never in the model (only where to find them); secret-looking headers, server
    environment values and passwords inside URLs are redacted here.
    """
    data = scenario.model_dump(mode="json")
    for endpoint in [data.get("endpoint"), *(data.get("targets") or [])]:
        if endpoint is not None:
            endpoint["headers"] = {
                k: REDACTED if k.lower() in _SECRET_HEADERS else v for k, v in endpoint["headers"].items()
            }
            endpoint["base_url"] = _redact_url(endpoint["base_url"])
    server = data.get("server")
    if server is not None:
        server["env"] = {k: REDACTED if _SECRET_ENV.search(k) else v for k, v in server["env"].items()}
    data["telemetry"]["gpu"]["url"] = _redact_url(data["telemetry"]["gpu"]["url"])
    data["telemetry"]["server_metrics"]["url"] = _redact_url(data["telemetry"]["server_metrics"]["url"])
    data["publish"]["pushgateway"]["url"] = _redact_url(data["publish"]["pushgateway"]["url"])
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _redact_url(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{REDACTED}@{host}"))
