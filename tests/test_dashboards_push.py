"""``slm-harness dashboards push`` against a stand-in Grafana HTTP API (no Grafana server installs here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import typer.main

from harness.cli.dashboards import app
from harness.config.errors import ConfigError
from harness.dashboards.build import DASHBOARDS
from tests.support_prometheus import free_port

TOKEN = "good-token"


class FakeGrafana(ThreadingHTTPServer):
    """Answers the three API calls the upload makes the way Grafana 11 does, and records them."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []
        self.folders: set[str] = set()
        self.dashboards: dict[str, dict[str, Any]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGrafana
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.calls.append((method, self.path, body))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, {"message": "invalid API key"})
        if method == "GET" and self.path.startswith("/api/folders/"):
            uid = self.path.rsplit("/", 1)[1]
            found = uid in self.server.folders
            return self._answer(
                200 if found else 404, {"uid": uid} if found else {"message": "folder not found"}
            )
        if method == "POST" and self.path == "/api/folders":
            assert body is not None
            self.server.folders.add(body["uid"])
            return self._answer(200, {"uid": body["uid"], "title": body["title"]})
        if method == "POST" and self.path == "/api/dashboards/db":
            assert body is not None
            if body["folderUid"] not in self.server.folders:
                return self._answer(400, {"message": "folder not found"})
            uid = body["dashboard"]["uid"]
            self.server.dashboards[uid] = body
            return self._answer(200, {"status": "success", "uid": uid, "url": f"/d/{uid}/x"})
        return self._answer(404, {"message": "not found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


@pytest.fixture()
def grafana() -> Iterator[FakeGrafana]:
    server = FakeGrafana()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def push(*args: str) -> int:
    result = typer.main.get_command(app).main(args=["push", *args], standalone_mode=False)
    assert isinstance(result, int)
    return result


def test_push_creates_the_folder_and_imports_every_dashboard(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    assert push("--url", grafana.url + "/", "--datasource-uid", "their-prometheus") == 0
    assert grafana.folders == {"slm-harness"}
    assert set(grafana.dashboards) == {d.uid for d in DASHBOARDS.values()}
    printed = capsys.readouterr().out.split()
    assert printed == [f"{grafana.url}/d/{d.uid}/x" for d in DASHBOARDS.values()]
    for body in grafana.dashboards.values():
        assert body["overwrite"] is True and body["folderUid"] == "slm-harness"
        text = json.dumps(body["dashboard"])
        assert "slm-prometheus" not in text
        panels = [p for p in body["dashboard"]["panels"] if p["type"] != "row"]
        assert all(p["datasource"]["uid"] == "their-prometheus" for p in panels)
        assert all(t["datasource"]["uid"] == "their-prometheus" for p in panels for t in p["targets"])

    # A second push finds the folder and overwrites the dashboards.
    calls_before = len(grafana.calls)
    assert push("--url", grafana.url, "--datasource-uid", "their-prometheus") == 0
    second = grafana.calls[calls_before:]
    assert [(m, p) for m, p, _ in second if "folders" in p] == [("GET", "/api/folders/slm-harness")]
    assert sum(p == "/api/dashboards/db" for _, p, _ in second) == len(DASHBOARDS)


def test_a_refused_token_is_one_line_naming_the_fix(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_TOKEN", "wrong")
    with pytest.raises(ConfigError) as info:
        push("--url", grafana.url, "--token-env", "MY_TOKEN")
    message = str(info.value)
    assert "\n" not in message
    assert "Grafana refused the token (HTTP 401" in message and "service-account token" in message
    assert grafana.dashboards == {}


def test_a_missing_token_or_unreachable_grafana_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="GRAFANA_TOKEN: the environment variable is not set"):
        push("--url", "http://127.0.0.1:3000")
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConfigError, match="Grafana is not reachable") as info:
        push("--url", url)
    assert "\n" not in str(info.value)
