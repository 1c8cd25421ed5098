"""Uploading the dashboards to a running Grafana through its HTTP API.

Three calls are all it takes (folder lookup, folder creation, dashboard import), so this uses
httpx directly: the ``grafana-client`` package would replace urllib3 for the whole interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import httpx

from harness.config.errors import ConfigError
from harness.dashboards.grafana import DATASOURCE, Dashboard, render

FOLDER_UID = "slm-harness"
FOLDER_TITLE = "SLM harness"
TIMEOUT_S = 10.0


def with_datasource(node: Any, uid: str) -> Any:
    """A copy of a dashboard model with every reference to our datasource pointed at ``uid``."""
    if node == DATASOURCE:
        return {"type": DATASOURCE["type"], "uid": uid}
    if isinstance(node, dict):
        return {key: with_datasource(value, uid) for key, value in node.items()}
    if isinstance(node, list):
        return [with_datasource(value, uid) for value in node]
    return node


def upload_dashboards(
    url: str,
    token: str,
    dashboards: Iterable[Dashboard],
    datasource_uid: str,
    folder_title: str = FOLDER_TITLE,
) -> list[str]:
    """Create the folder when missing, then import (overwrite) each dashboard; returns their URLs."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=TIMEOUT_S) as client:
        folder = _call(client, "GET", f"/api/folders/{FOLDER_UID}", allow_404=True)
        if folder is None:
            _call(client, "POST", "/api/folders", {"uid": FOLDER_UID, "title": folder_title})
        urls = []
        for d in dashboards:
            body = {
                "dashboard": with_datasource(render(d), datasource_uid),
                "folderUid": FOLDER_UID,
                "overwrite": True,
                "message": "slm-harness dashboards push",
            }
            answer = _call(client, "POST", "/api/dashboards/db", body) or {}
            urls.append(f"{url.rstrip('/')}{answer.get('url', '/d/' + d.uid)}")
    return urls


def _call(
    client: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None, allow_404: bool = False
) -> dict[str, Any] | None:
    where = f"{client.base_url}{path}"
    try:
        response = client.request(method, path, json=body)
    except httpx.HTTPError as e:
        raise ConfigError(
            "--url",
            str(client.base_url),
            f"Grafana is not reachable ({_one_line(e)})",
            "check the URL and that Grafana runs",
        ) from None
    if allow_404 and response.status_code == 404:
        return None
    if response.status_code in (401, 403):
        raise ConfigError(
            "--token-env",
            "token",
            f"Grafana refused the token (HTTP {response.status_code} on {path})",
            "use a service-account token with the Editor role (folders and dashboards write)",
        )
    if response.is_error:
        raise ConfigError(
            "--url",
            where,
            f"Grafana answered HTTP {response.status_code}: {_message(response)}",
            "see Grafana's log",
        )
    answer = response.json() if response.content else {}
    return answer if isinstance(answer, dict) else {}


def _message(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return _one_line(response.text[:200])
    return _one_line(answer.get("message", answer) if isinstance(answer, dict) else answer)


def _one_line(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()
