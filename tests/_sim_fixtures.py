"""Helpers shared by the simulator tests: start a simulator, read SSE streams with arrival times."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.sim.config import SimConfig
from harness.sim.process import SimProcess

CHAT_PATH = "/v1/chat/completions"
COMPLETIONS_PATH = "/v1/completions"


@contextmanager
def running_sim(**overrides: Any) -> Iterator[tuple[SimProcess, httpx.Client]]:
    """A simulator child process and an HTTP client bound to it."""
    with (
        SimProcess(SimConfig(**overrides)) as sim,
        httpx.Client(base_url=sim.base_url, timeout=30.0) as client,
    ):
        yield sim, client


def chat_body(content: str = "Say something.", max_tokens: int | None = 8, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "sim-model", "messages": [{"role": "user", "content": content}]}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    return {**body, **extra}


def streaming(body: dict[str, Any], usage: bool = True) -> dict[str, Any]:
    return {**body, "stream": True, "stream_options": {"include_usage": usage}}


@dataclass
class StreamResult:
    status: int
    headers: httpx.Headers
    raw: bytes
    # (seconds since the request was sent, the data payload of one SSE event)
    events: list[tuple[float, bytes]] = field(default_factory=list)

    def json_events(self) -> list[dict[str, Any]]:
        return [json.loads(data) for _, data in self.events if data != b"[DONE]"]

    def content_times(self) -> list[float]:
        """Arrival times of events carrying non-empty generated text (non-JSON events carry none)."""
        times = []
        for t, data in self.events:
            try:
                chunk = json.loads(data)
            except json.JSONDecodeError:
                continue
            if not isinstance(chunk, dict):
                continue
            choices = chunk.get("choices") or [{}]
            text = choices[0].get("delta", {}).get("content") or choices[0].get("text")
            if text:
                times.append(t)
        return times

    @property
    def done(self) -> bool:
        return bool(self.events) and self.events[-1][1] == b"[DONE]"

    def usage_chunk(self) -> dict[str, Any]:
        return next(e for e in self.json_events() if "usage" in e)


def stream(client: httpx.Client, path: str, body: dict[str, Any]) -> StreamResult:
    """POST a streaming request; time every SSE event from just before the request is sent.

    A non-200 response is read whole into ``raw`` and has no events.
    """
    buffer = b""
    t0 = time.monotonic()
    with client.stream("POST", path, json=body) as resp:
        result = StreamResult(resp.status_code, resp.headers, b"")
        if resp.status_code != 200:
            result.raw = resp.read()
            return result
        for piece in resp.iter_raw():
            now = time.monotonic() - t0
            result.raw += piece
            buffer += piece
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                assert event.startswith(b"data: "), event
                result.events.append((now, event[len(b"data: ") :]))
    assert buffer == b"", f"bytes after the last event: {buffer!r}"
    return result
