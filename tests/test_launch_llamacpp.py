"""The launcher with a real llama.cpp `llama-server` (built once from source, cached)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from harness.launch.errors import LaunchError
from harness.launch.server import LaunchedServer
from tests.support.llamacpp_env import llamacpp_spec, tiny_gguf_path
from tests.support.parse import delta_text, metric_sum, sse_events, stream_usage
from tests.support.procs import running

# The first run on a machine builds the cached vLLM venv and llama-server (~7 min): allow for it.
pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]


def test_llama_server_streams_exact_tokens_and_stops_cleanly(tmp_path: Path) -> None:
    with LaunchedServer(llamacpp_spec(), tmp_path) as server:
        pid = server.pid
        assert pid is not None and running(pid)
        assert server.model_id == str(tiny_gguf_path())
        body = {
            "model": server.model_id,
            "messages": [{"role": "user", "content": "Name a colour."}],
            "max_tokens": 40,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        response = httpx.post(
            server.base_url + "/v1/chat/completions", json=body, timeout=60, trust_env=False
        )
        metrics = httpx.get(server.metrics_url, trust_env=False).text
    events = sse_events(response.content)
    usage = stream_usage(events)
    assert usage is not None and usage["completion_tokens"] == 40
    # llama-server sends one chunk per token: the tiny model never emits a partial character.
    assert sum(1 for e in events if delta_text(e)) == 40
    assert response.content.endswith(b"data: [DONE]\n\n")
    assert metric_sum(metrics, "llamacpp:tokens_predicted_total") == 40
    assert metric_sum(metrics, "llamacpp:prompt_tokens_total") == usage["prompt_tokens"]
    assert not running(pid)
    assert (tmp_path / "llamacpp-server.log").stat().st_size > 0


def test_a_second_server_on_the_same_port_fails_with_the_reason(tmp_path: Path) -> None:
    with LaunchedServer(llamacpp_spec(), tmp_path / "first") as first:
        taken = LaunchedServer(replace(llamacpp_spec(), port=first.port), tmp_path / "second")
        with pytest.raises(LaunchError) as caught:
            taken.start()
        assert httpx.get(first.base_url + "/health", trust_env=False).status_code == 200
    assert str(caught.value).startswith("llamacpp server exited with code 1 before it was ready: ")
    assert any(
        f"couldn't bind HTTP server socket, hostname: 127.0.0.1, port: {first.port}" in line
        for line in caught.value.log_tail
    )
