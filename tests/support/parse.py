"""Small readers for what real servers send: SSE bodies and Prometheus text."""

from __future__ import annotations

import json
from typing import Any


def sse_events(body: bytes) -> list[dict[str, Any]]:
    """The JSON payloads of a stream's `data:` events (`[DONE]` and non-JSON data skipped)."""
    events = []
    for block in body.replace(b"\r\n", b"\n").split(b"\n\n"):
        data = b"\n".join(line[5:].strip() for line in block.split(b"\n") if line.startswith(b"data:"))
        if not data or data == b"[DONE]":
            continue
        try:
            events.append(json.loads(data))
        except json.JSONDecodeError:
            continue
    return events


def delta_text(event: dict[str, Any]) -> str:
    """The generated text an event carries (chat delta, reasoning delta or completions text)."""
    choices = event.get("choices") or []
    if not choices:
        return ""
    choice = choices[0]
    delta = choice.get("delta") or {}
    return str(delta.get("content") or delta.get("reasoning_content") or choice.get("text") or "")


def stream_usage(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last `usage` object of a stream, None when the server sent none."""
    return next((e["usage"] for e in reversed(events) if e.get("usage")), None)


def metric_sum(text: str, name: str, labels: dict[str, str] | None = None) -> float:
    """The sum over the label sets of metric `name` in a Prometheus text exposition that carry every
    label in `labels` (all label sets when None; 0 if absent)."""
    wanted = [f'{key}="{value}"' for key, value in (labels or {}).items()]
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(w in line.split(" ")[0] for w in wanted):
            total += float(line.rsplit(" ", 1)[1])
    return total
