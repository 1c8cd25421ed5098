"""Resolve where a load run sends its requests: a given URL, the embedded simulator, or a launched server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.config.endpoint import Endpoint
from harness.config.errors import ConfigError
from harness.config.server import ServerConfig
from harness.protocol import join_url


@dataclass
class Target:
    base_url: str
    name: str
    model: str | None
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "remote"  # remote | simulator | vllm | llamacpp
    metrics_url: str | None = None


def endpoint_headers(endpoint: Endpoint | None, api_key: str | None) -> dict[str, str]:
    """The headers every request carries: the scenario's own, plus the bearer token when there is a key."""
    headers = dict(endpoint.headers) if endpoint is not None else {}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def discover_model(base_url: str, headers: dict[str, str], verify: bool, timeout_s: float) -> str:
    """The first model id the endpoint lists on /v1/models."""
    url = join_url(base_url, "/v1/models")
    try:
        resp = httpx.get(url, headers=headers, verify=verify, timeout=timeout_s)
    except httpx.HTTPError as e:
        raise ConfigError(
            None,
            "endpoint.base_url",
            f"cannot reach {url} to discover the model ({type(e).__name__})",
            "check the URL and that the server is up, or set endpoint.model / --model",
        ) from None
    if resp.status_code in (401, 403):
        raise ConfigError(
            None,
            "endpoint.api_key_env",
            f"{url} refused the API key (HTTP {resp.status_code}) when asked for the model list",
            "set endpoint.api_key_env (or api_key_file) to the endpoint's key",
        )
    if resp.status_code != 200:
        raise ConfigError(
            None,
            "endpoint.model",
            f"{url} answered HTTP {resp.status_code} when asked for the model list",
            "set endpoint.model in the scenario or pass --model",
        )
    try:
        return str(resp.json()["data"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise ConfigError(
            None,
            "endpoint.model",
            f"{url} returned no model list",
            "set endpoint.model in the scenario or pass --model",
        ) from None


def max_model_len(
    base_url: str, model: str, headers: dict[str, str], verify: bool, timeout_s: float
) -> int | None:
    """The context length the endpoint lists for ``model`` on /v1/models (``max_model_len``, as
    vLLM and the simulator say it); None when it says none or cannot be asked."""
    try:
        resp = httpx.get(join_url(base_url, "/v1/models"), headers=headers, verify=verify, timeout=timeout_s)
        entries = resp.json()["data"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("id") == model:
            value = entry.get("max_model_len")
            return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
    return None


@contextlib.contextmanager
def embedded_simulator(options: dict[str, object]) -> Iterator[Target]:
    """Start the built-in simulator in its own process for the duration of a run."""
    from harness.sim.config import SimConfig
    from harness.sim.process import SimProcess

    cfg = SimConfig(**{k: v for k, v in options.items() if v is not None})  # type: ignore[arg-type]
    with SimProcess(cfg) as sim:
        yield Target(
            base_url=sim.base_url,
            name="simulator",
            model=cfg.model,
            kind="simulator",
            metrics_url=join_url(sim.base_url, "/metrics"),
        )


@contextlib.contextmanager
def launched_server(section: ServerConfig, run_dir: Path) -> Iterator[Target]:
    """Start a local vLLM or llama-server for the run (its log goes to the run directory)."""
    from harness.launch.server import LaunchedServer
    from harness.launch.spec import ServerSpec

    try:
        spec = ServerSpec(**section.model_dump())
    except ValueError as e:
        raise ConfigError(None, "server", str(e), "fix the server: section of the scenario") from None
    with LaunchedServer(spec, log_dir=run_dir) as server:
        yield Target(
            base_url=server.base_url,
            name=section.kind,
            model=server.model_id,
            kind=section.kind,
            metrics_url=server.metrics_url,
        )
