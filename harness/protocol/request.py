"""OpenAI request building: endpoint path and JSON body for one prompt item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from harness.protocol.prompt import PromptItem

Api = Literal["chat", "completions"]

PATHS: dict[str, str] = {"chat": "/v1/chat/completions", "completions": "/v1/completions"}


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Generation settings; a None field is left out of the body so the server default applies.

    `ignore_eos` and `min_tokens` are vLLM extensions (fixed output lengths for load tests); other
    servers ignore or reject them. `extra` entries are merged into the body last and win.
    """

    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    ignore_eos: bool = False
    min_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def build_request(
    api: Api, model: str, item: PromptItem, params: SamplingParams, stream: bool, include_usage: bool = True
) -> tuple[str, dict[str, Any]]:
    """Return (path, JSON body) for `item`; the path starts with /v1 (see `join_url`).

    A streamed request asks for the usage chunk (`stream_options.include_usage`) so token counts
    come from the server; ``include_usage=False`` leaves it out for servers that reject it.
    """
    body: dict[str, Any] = {"model": model}
    if api == "chat":
        body["messages"] = (
            item.messages if item.messages is not None else [{"role": "user", "content": item.prompt or ""}]
        )
    elif api == "completions":
        body["prompt"] = item.prompt if item.prompt is not None else flatten_messages(item.messages)
    else:
        raise ValueError(f"unknown api {api!r}: use 'chat' or 'completions'")
    if params.max_tokens is not None:
        body["max_tokens"] = params.max_tokens
    if params.temperature is not None:
        body["temperature"] = params.temperature
    if params.seed is not None:
        body["seed"] = params.seed
    if params.ignore_eos:
        body["ignore_eos"] = True
    if params.min_tokens is not None:
        body["min_tokens"] = params.min_tokens
    body["stream"] = stream
    if stream and include_usage:
        body["stream_options"] = {"include_usage": True}
    body.update(params.extra)
    return PATHS[api], body


def flatten_messages(messages: list[dict[str, Any]] | None) -> str:
    """One completions prompt from chat messages: a ``role: content`` line per message, then an
    ``assistant:`` cue unless the conversation already ends with the assistant's turn."""
    messages = messages or []
    lines = [f"{m.get('role', 'user')}: {_text_of(m.get('content'))}" for m in messages]
    if not messages or messages[-1].get("role") != "assistant":
        lines.append("assistant:")
    return "\n".join(lines)


def _text_of(content: Any) -> str:
    # Content is a string or, in the multi-part form, a list of {"type": "text", "text": ...} parts.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def join_url(base_url: str, path: str) -> str:
    """Join an endpoint base URL and a /v1 path; the base may or may not end with /v1 (or /v1/).

    ``join_url("http://h:8000/v1", "/v1/completions") == join_url("http://h:8000", "/v1/completions")
    == "http://h:8000/v1/completions"``.
    """
    base = base_url.rstrip("/")
    if base.endswith("/v1") and path.startswith("/v1/"):
        path = path[3:]
    return base + path
