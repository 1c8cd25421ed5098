"""A real vLLM (CPU build) serving the tiny model through the launcher: tokens, usage, metrics."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from harness.launch.server import LaunchedServer
from tests.support.parse import delta_text, metric_sum, sse_events, stream_usage
from tests.support.vllm_env import tiny_model_dir

# The first run on a machine builds the cached vLLM venv and llama-server (~7 min): allow for it.
pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

USAGE = {"stream_options": {"include_usage": True}}


def post(server: LaunchedServer, path: str, body: dict[str, Any]) -> httpx.Response:
    response = httpx.post(server.base_url + path, json=body, timeout=120, trust_env=False)
    assert response.status_code == 200, response.text
    return response


def test_served_model_is_the_tiny_model(vllm_server: LaunchedServer) -> None:
    assert vllm_server.model_id == str(tiny_model_dir())
    assert vllm_server.base_url == f"http://127.0.0.1:{vllm_server.port}"
    assert vllm_server.metrics_url == vllm_server.base_url + "/metrics"


@pytest.mark.parametrize(
    ("path", "request_body"),
    [
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "Describe the sea."}]}),
        ("/v1/completions", {"prompt": "The sea is"}),
    ],
    ids=["chat", "completions"],
)
def test_stream_yields_exactly_max_tokens_with_usage(
    vllm_server: LaunchedServer, path: str, request_body: dict[str, Any]
) -> None:
    body = {"model": vllm_server.model_id, "max_tokens": 48, "stream": True, **USAGE, **request_body}
    raw = post(vllm_server, path, body).content
    events = sse_events(raw)
    usage = stream_usage(events)
    assert usage is not None and usage["completion_tokens"] == 48
    assert usage["prompt_tokens"] > 0
    assert raw.endswith(b"data: [DONE]\n\n")
    finish = [
        e["choices"][0]["finish_reason"] for e in events if e["choices"] and e["choices"][0]["finish_reason"]
    ]
    assert finish == ["length"]
    text_chunks = [delta_text(e) for e in events if delta_text(e)]
    # vLLM may put several tokens in one chunk when its output path lags the engine; never zero, never more.
    assert 1 <= len(text_chunks) <= 48
    assert "".join(text_chunks).isascii()


def test_concurrent_streams_are_all_served_and_counted_in_metrics(vllm_server: LaunchedServer) -> None:
    before = httpx.get(vllm_server.metrics_url, trust_env=False).text
    body = {
        "model": vllm_server.model_id,
        "prompt": "Once upon a time",
        "max_tokens": 64,
        "stream": True,
        **USAGE,
    }
    usages: list[dict[str, Any]] = []

    def one() -> None:
        usage = stream_usage(sse_events(post(vllm_server, "/v1/completions", body).content))
        assert usage is not None
        usages.append(usage)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = httpx.get(vllm_server.metrics_url, trust_env=False).text

    assert [u["completion_tokens"] for u in usages] == [64] * 8
    generated = metric_sum(after, "vllm:generation_tokens_total") - metric_sum(
        before, "vllm:generation_tokens_total"
    )
    prompted = metric_sum(after, "vllm:prompt_tokens_total") - metric_sum(before, "vllm:prompt_tokens_total")
    finished = metric_sum(after, "vllm:request_success_total") - metric_sum(
        before, "vllm:request_success_total"
    )
    assert generated == 8 * 64
    assert prompted == sum(u["prompt_tokens"] for u in usages)
    assert finished == 8


def test_metrics_expose_the_v1_names_the_harness_scrapes(vllm_server: LaunchedServer) -> None:
    text = httpx.get(vllm_server.metrics_url, trust_env=False).text
    label = f'model_name="{vllm_server.model_id}"'
    for name in (
        "vllm:num_requests_running",
        "vllm:kv_cache_usage_perc",
        "vllm:time_to_first_token_seconds_bucket",
    ):
        samples = [line for line in text.splitlines() if line.startswith(name + "{")]
        assert samples, f"{name} missing"
        assert all(label in line for line in samples)
    assert metric_sum(text, "vllm:num_requests_running") == 0
