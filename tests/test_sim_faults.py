"""Fault injection: each kind behaves as documented, fires at its configured rate, and is counted."""

from __future__ import annotations

import itertools
import json
import socket
from typing import Any

import httpx
import pytest
from _sim_fixtures import CHAT_PATH, StreamResult, chat_body, running_sim, stream, streaming
from prometheus_client.parser import text_string_to_metric_families

FAST = {"ttft_ms": 1.0, "itl_ms": 1.0}


def _faults_counted(client: httpx.Client) -> dict[str, float]:
    families = text_string_to_metric_families(client.get("/metrics").text)
    family = next(f for f in families if f.name == "sim_faults_injected")
    return {s.labels["kind"]: s.value for s in family.samples if s.name.endswith("_total")}


def _raw_request(base_url: str, body: dict[str, Any]) -> tuple[bytes, BaseException | None]:
    """Send one request on a raw socket; return what arrived and the error that ended the read, if any."""
    host, port = base_url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    head = (
        f"POST {CHAT_PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    received = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + payload)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as exc:
            return received, exc
    return received, None


def test_error_fault_is_http_500_with_an_openai_error() -> None:
    with running_sim(error_rate=1.0, **FAST) as (_, client):
        resp = client.post(CHAT_PATH, json=chat_body())
        assert resp.status_code == 500
        assert resp.json()["error"]["type"] == "InternalServerError"
        assert _faults_counted(client)["error"] == 1


def test_rate_limit_fault_is_429_with_retry_after() -> None:
    with running_sim(rate_limit_rate=1.0, **FAST) as (_, client):
        resp = client.post(CHAT_PATH, json=streaming(chat_body()))
        assert resp.status_code == 429
        assert resp.headers["retry-after"] == "1"
        assert resp.json()["error"]["code"] == 429


def test_stall_pauses_mid_stream() -> None:
    with running_sim(stall_rate=1.0, stall_ms=300, ttft_ms=10, itl_ms=10) as (_, client):
        result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=10)))
    times = result.content_times()
    gaps_ms = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    assert result.done and len(times) == 10
    # Token 5 (index n_out // 2) comes one step plus the stall after token 4.
    assert 305 <= gaps_ms[4] < 325
    assert all(g < 20 for i, g in enumerate(gaps_ms) if i != 4)


def test_truncate_ends_the_body_without_finish_reason_or_done() -> None:
    with running_sim(truncate_rate=1.0, **FAST) as (_, client):
        result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=10)))
    assert result.status == 200 and not result.done
    chunks = result.json_events()
    assert len(result.content_times()) == 5
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)


def test_malformed_sends_one_non_json_chunk_then_carries_on() -> None:
    with running_sim(malformed_rate=1.0, **FAST) as (_, client):
        result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=6)))
    bad = []
    for _, data in result.events[:-1]:
        try:
            json.loads(data)
        except json.JSONDecodeError:
            bad.append(data)
    assert len(bad) == 1
    assert result.done


def test_midstream_error_sends_an_error_object_then_done() -> None:
    with running_sim(midstream_error_rate=1.0, **FAST) as (_, client):
        result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=8)))
    assert result.status == 200 and result.done
    chunks = result.json_events()
    assert chunks[-1] == {
        "error": {
            "message": "simulated engine failure",
            "type": "InternalServerError",
            "param": None,
            "code": 500,
        }
    }
    assert len(result.content_times()) == 4


def test_reset_aborts_the_connection_with_rst() -> None:
    with running_sim(reset_rate=1.0, **FAST) as (sim, client):
        received, error = _raw_request(sim.base_url, streaming(chat_body(max_tokens=8)))
        assert isinstance(error, ConnectionResetError)
        assert received.startswith(b"HTTP/1.1 200")
        assert received.count(b'"content":') == 1 + 4  # the role chunk and half the tokens
        with pytest.raises(httpx.TransportError):
            client.post(CHAT_PATH, json=chat_body(max_tokens=8))


def test_non_streaming_faults_break_the_json_body() -> None:
    with running_sim(truncate_rate=1.0, **FAST) as (_, client), pytest.raises(httpx.RemoteProtocolError):
        client.post(CHAT_PATH, json=chat_body())
    with running_sim(malformed_rate=1.0, **FAST) as (_, client):
        resp = client.post(CHAT_PATH, json=chat_body())
        assert resp.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            resp.json()


def _classify(result: StreamResult) -> set[str]:
    """The fault kinds a client can see in one streamed response."""
    seen = set()
    if result.status == 500:
        seen.add("error")
    if result.status == 429:
        seen.add("rate_limit")
    if result.status == 200:
        for _, data in result.events:
            if data == b"[DONE]":
                continue
            try:
                if "error" in json.loads(data):
                    seen.add("midstream_error")
            except json.JSONDecodeError:
                seen.add("malformed")
        if not result.done:
            seen.add("truncate")
        times = result.content_times()
        if len(times) == 2 and times[1] - times[0] > 0.04:
            seen.add("stall")
    return seen


@pytest.mark.parametrize("kind", ["error", "rate_limit", "stall", "truncate", "malformed", "midstream_error"])
def test_each_fault_fires_at_its_rate(kind: str) -> None:
    n, p = 300, 0.3
    with running_sim(seed=11, stall_ms=60, ttft_ms=0, itl_ms=0, **{f"{kind}_rate": p}) as (_, client):
        seen = [_classify(stream(client, CHAT_PATH, streaming(chat_body(max_tokens=2)))) for _ in range(n)]
        counted = _faults_counted(client)
    hits = sum(kind in s for s in seen)
    assert all(s <= {kind} for s in seen)
    # Binomial(300, 0.3): mean 90, sd 7.9; 4.5 sd either side.
    assert 55 <= hits <= 125
    assert counted[kind] == hits
    assert sum(counted.values()) == hits


def test_faults_are_reproducible_from_the_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with running_sim(seed=seed, error_rate=0.5, **FAST) as (_, client):
            return [client.post(CHAT_PATH, json=chat_body(max_tokens=1)).status_code for _ in range(40)]

    first = statuses(5)
    assert first == statuses(5)
    assert first != statuses(6)
    assert 5 < first.count(500) < 35


def test_api_key_is_required_when_set() -> None:
    with running_sim(api_key="s3cret", **FAST) as (_, client):
        assert client.post(CHAT_PATH, json=chat_body()).status_code == 401
        assert client.get("/v1/models").status_code == 401
        wrong = client.post(CHAT_PATH, json=chat_body(), headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "AuthenticationError"
        ok = client.post(CHAT_PATH, json=chat_body(max_tokens=2), headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["usage"]["completion_tokens"] == 2
        assert client.get("/health").status_code == 200
        assert client.get("/metrics").status_code == 200
