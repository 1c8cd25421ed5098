"""The captured real-server fixtures say what their sidecars claim (no server needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.capture import facts
from tests.support.parse import metric_sum

FIXTURES = Path(__file__).parent / "fixtures"
REQUIRED_METRICS = {
    "vllm": [
        "vllm:num_requests_running",
        "vllm:num_requests_waiting",
        "vllm:kv_cache_usage_perc",
        "vllm:time_to_first_token_seconds_bucket",
        "vllm:inter_token_latency_seconds_bucket",
        "vllm:e2e_request_latency_seconds_bucket",
        "vllm:generation_tokens_total",
        "vllm:prompt_tokens_total",
    ],
    "llamacpp": [
        "llamacpp:requests_processing",
        "llamacpp:requests_deferred",
        "llamacpp:tokens_predicted_total",
        "llamacpp:prompt_tokens_total",
    ],
}
SIDECARS = sorted(
    p for server in ("vllm", "llamacpp") for p in (FIXTURES / "streams" / server).glob("*.meta.json")
)


def body_of(sidecar: Path) -> tuple[Path, bool]:
    stem = sidecar.name.removesuffix(".meta.json")
    sse = sidecar.with_name(stem + ".sse")
    return (sse, True) if sse.exists() else (sidecar.with_name(stem + ".body.json"), False)


def test_every_server_has_the_full_set() -> None:
    names = {(p.parent.name, p.name.removesuffix(".meta.json")) for p in SIDECARS}
    common = {
        "chat_stream_usage",
        "chat_stream_no_usage",
        "completions_stream_usage",
        "chat_stream_long",
        "chat",
        "completions",
    }
    assert {n for s, n in names if s == "vllm"} == common | {"error_max_tokens", "error_max_tokens_stream"}
    assert {n for s, n in names if s == "llamacpp"} == common | {"error_context", "error_context_stream"}


@pytest.mark.parametrize(
    "sidecar", SIDECARS, ids=lambda p: f"{p.parent.name}/{p.name.removesuffix('.meta.json')}"
)
def test_sidecar_matches_its_body(sidecar: Path) -> None:
    meta: dict[str, Any] = json.loads(sidecar.read_text())
    body_path, streamed = body_of(sidecar)
    body = body_path.read_bytes()
    assert meta["headers"]["content-type"].startswith("text/event-stream") == streamed
    assert facts(body, streamed) == {k: meta[k] for k in ("completion_tokens", "content_chunks")}
    assert meta["api"] == ("chat" if meta["path"] == "/v1/chat/completions" else "completions")
    if meta["status"] != 200:
        assert json.loads(body)["error"]["code"] == 400
        return
    wants_usage = not meta["request"].get("stream") or "stream_options" in meta["request"]
    assert meta["completion_tokens"] == (meta["request"]["max_tokens"] if wants_usage else None)
    if streamed:
        assert body.endswith(b"data: [DONE]\n\n")
        assert 1 <= meta["content_chunks"] <= meta["request"]["max_tokens"]


@pytest.mark.parametrize("server", ["vllm", "llamacpp"])
def test_metrics_scrape_was_taken_under_load(server: str) -> None:
    text = (FIXTURES / "metrics" / f"{server}.txt").read_text()
    for name in REQUIRED_METRICS[server]:
        assert any(line.startswith((name + "{", name + " ")) for line in text.splitlines()), name
    busy = "vllm:num_requests_running" if server == "vllm" else "llamacpp:requests_processing"
    assert metric_sum(text, busy) > 0
