"""One HTTP GET for the telemetry pollers, failing with a one-line reason instead of a traceback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from harness.telemetry.source import TelemetryUnavailable


def get(client: httpx.Client, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
    """The 200 response of ``GET url``; ``TelemetryUnavailable`` naming the URL otherwise."""
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as e:
        raise TelemetryUnavailable(f"{url} unreachable ({type(e).__name__}: {e})") from None
    if response.status_code != 200:
        raise TelemetryUnavailable(f"{url} answered HTTP {response.status_code}")
    return response
