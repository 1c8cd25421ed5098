"""The simulator speaks vLLM's OpenAI dialect: SSE bytes, JSON bodies, models, errors, the openai client."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import openai
import pytest
from _sim_fixtures import (
    CHAT_PATH,
    COMPLETIONS_PATH,
    chat_body,
    running_sim,
    stream,
    streaming,
)

from harness.protocol.clock import CLOCK_ID
from harness.sim.process import SimProcess


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimProcess, httpx.Client]]:
    with running_sim(ttft_ms=5, itl_ms=1, seed=3) as pair:
        yield pair


def test_chat_stream_bytes_match_vllm(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=4)))
    assert result.status == 200
    assert result.headers["content-type"] == "text/event-stream; charset=utf-8"
    # Every event is exactly "data: <payload>\n\n", and the body ends with [DONE].
    assert re.fullmatch(rb"(data: [^\n]+\n\n)+", result.raw)
    assert result.raw.endswith(b"data: [DONE]\n\n")
    chunks = result.json_events()
    assert len(chunks) == 1 + 4 + 1  # role, 4 tokens, usage
    role, tokens, usage = chunks[0], chunks[1:5], chunks[5]
    assert list(role) == ["id", "object", "created", "model", "choices"]
    assert role["object"] == "chat.completion.chunk"
    assert role["id"].startswith("chatcmpl-") and role["model"] == "sim-model"
    assert role["choices"] == [
        {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}
    ]
    for chunk in tokens[:-1]:
        assert chunk["choices"][0]["finish_reason"] is None
        assert list(chunk["choices"][0]) == ["index", "delta", "logprobs", "finish_reason"]
        assert list(chunk["choices"][0]["delta"]) == ["content"]
    assert tokens[-1]["choices"][0]["finish_reason"] == "length"
    assert tokens[-1]["choices"][0]["stop_reason"] is None
    assert {c["id"] for c in chunks} == {role["id"]}
    text = "".join(c["choices"][0]["delta"]["content"] for c in tokens)
    assert len(text.split()) == 4  # one word per token
    assert usage["choices"] == []
    assert list(usage["usage"]) == ["prompt_tokens", "total_tokens", "completion_tokens"]
    assert usage["usage"]["completion_tokens"] == 4
    assert usage["usage"]["total_tokens"] == usage["usage"]["prompt_tokens"] + 4
    # Receipt-relative timings, and the writes on the machine's monotonic clock with its id.
    assert set(usage["sim"]) == {"ttft_ms", "e2e_ms", "queue_ms", "clock", "first_token_at", "last_token_at"}
    assert usage["sim"]["clock"] == CLOCK_ID
    assert usage["sim"]["last_token_at"] - usage["sim"]["first_token_at"] == pytest.approx(
        (usage["sim"]["e2e_ms"] - usage["sim"]["ttft_ms"]) / 1000, abs=1e-5
    )


def test_prompt_tokens_are_a_quarter_of_the_rendered_chat(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    content = "x" * 400
    rendered = f"<|user|>\n{content}\n<|assistant|>\n"
    body = chat_body(content, max_tokens=1)
    assert client.post(CHAT_PATH, json=body).json()["usage"]["prompt_tokens"] == -(-len(rendered) // 4)


def test_stream_without_include_usage_has_no_usage_chunk(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=3), usage=False))
    assert result.done
    assert [e for e in result.json_events() if "usage" in e] == []
    assert len(result.json_events()) == 1 + 3


def test_completions_stream(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    body = streaming({"model": "m", "prompt": "Once upon a time", "max_tokens": 3})
    result = stream(client, COMPLETIONS_PATH, body)
    chunks = result.json_events()
    assert result.done and len(chunks) == 3 + 1  # no role chunk for completions
    assert all(c["object"] == "text_completion" and c["id"].startswith("cmpl-") for c in chunks)
    assert list(chunks[0]["choices"][0]) == ["index", "text", "logprobs", "finish_reason"]
    assert [c["choices"][0]["finish_reason"] for c in chunks[:3]] == [None, None, "length"]
    assert chunks[3]["usage"] == {"prompt_tokens": 4, "total_tokens": 7, "completion_tokens": 3}


def test_non_streaming_chat_and_completions(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    resp = client.post(CHAT_PATH, json=chat_body(max_tokens=5))
    body = resp.json()
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    assert body["object"] == "chat.completion"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and len(message["content"].split()) == 5
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 5
    assert float(resp.headers["x-sim-e2e-ms"]) == body["sim"]["e2e_ms"]
    comp = client.post(COMPLETIONS_PATH, json={"prompt": [1, 2, 3], "max_tokens": 2}).json()
    assert comp["object"] == "text_completion" and len(comp["choices"][0]["text"].split()) == 2
    assert comp["usage"] == {"prompt_tokens": 3, "total_tokens": 5, "completion_tokens": 2}


def test_output_length_without_max_tokens_is_seeded_around_the_mean(
    sim: tuple[SimProcess, httpx.Client],
) -> None:
    _, client = sim
    lengths = [
        client.post(CHAT_PATH, json=chat_body(max_tokens=None)).json()["usage"]["completion_tokens"]
        for _ in range(20)
    ]
    assert all(32 <= n <= 96 for n in lengths)  # output_tokens 64: uniform in [32, 96]
    assert len(set(lengths)) > 5


def test_min_tokens_and_finish_reason_stop(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    body = client.post(CHAT_PATH, json=chat_body(max_tokens=None, min_tokens=120)).json()
    assert body["usage"]["completion_tokens"] == 120
    assert body["choices"][0]["finish_reason"] == "stop"


def test_models_and_health(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    assert client.get("/health").status_code == 200
    models = client.get("/v1/models").json()
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == ["sim-model"]
    assert models["data"][0]["owned_by"] == "vllm"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
        ({"messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
        ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "n"),
    ],
)
def test_invalid_requests_get_400_with_the_param(
    sim: tuple[SimProcess, httpx.Client], body: dict[str, object], param: str
) -> None:
    _, client = sim
    resp = client.post(CHAT_PATH, json=body)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == param


def test_body_that_is_not_json_gets_400(sim: tuple[SimProcess, httpx.Client]) -> None:
    _, client = sim
    resp = client.post(CHAT_PATH, content=b"{nope", headers={"content-type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["type"] == "BadRequestError"


def test_request_larger_than_the_kv_cache_gets_400() -> None:
    with running_sim(kv_capacity_tokens=50, ttft_ms=1, itl_ms=1) as (_, client):
        resp = client.post(CHAT_PATH, json=chat_body(max_tokens=100))
        assert resp.status_code == 400
        assert "kv_capacity_tokens" in resp.json()["error"]["message"]


def test_official_openai_client(sim: tuple[SimProcess, httpx.Client]) -> None:
    proc, _ = sim
    client = openai.OpenAI(base_url=f"{proc.base_url}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="sim-model", messages=[{"role": "user", "content": "hello"}], max_tokens=6
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 6
    assert len((reply.choices[0].message.content or "").split()) == 6
    pieces, usage = [], None
    for chunk in client.chat.completions.create(
        model="sim-model",
        messages=[{"role": "user", "content": "hello"}],
        max_tokens=6,
        stream=True,
        stream_options={"include_usage": True},
    ):
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
        if chunk.usage is not None:
            usage = chunk.usage
    assert len("".join(pieces).split()) == 6
    assert usage is not None and usage.completion_tokens == 6
    completion = client.completions.create(model="sim-model", prompt="abc", max_tokens=2)
    assert completion.usage is not None and completion.usage.total_tokens == 1 + 2
    assert json.loads(completion.model_dump_json())["choices"][0]["finish_reason"] == "length"
