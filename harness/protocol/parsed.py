"""`ParsedResponse`: what one response said and when, whichever way it was delivered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DETAIL_MAX_CHARS = 200


@dataclass(slots=True)
class ParsedResponse:
    """Timings (seconds from t0), content and outcome of one response.

    ``ttft_s`` is the first chunk with generated content (text or reasoning), ``ttfc_s`` the
    first with non-reasoning content, ``e2e_s`` the last byte. ``content_times_s`` holds the
    arrival time of every content-bearing chunk and ``chunk_gaps_s`` the gaps between them (the
    request's ITL samples); a chunk may carry more than one token. Token counts come from the
    server's ``usage`` and are None when it sent none. ``extra`` keeps the non-standard
    top-level fields of the usage-bearing chunk (e.g. the simulator's ``"sim"`` ground truth,
    llama.cpp's ``"timings"``).
    """

    ttft_s: float | None = None
    ttfc_s: float | None = None
    e2e_s: float | None = None
    content_times_s: list[float] = field(default_factory=list)
    chunk_gaps_s: list[float] = field(default_factory=list)
    n_content_chunks: int = 0
    text: str = ""
    reasoning_text: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None  # usage.prompt_tokens_details.cached_tokens (prefix-cache hits)
    finish_reason: str | None = None
    done_seen: bool = False
    error_kind: str | None = None
    error_detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the response is complete and well-formed."""
        return self.error_kind is None


def one_line(text: str, limit: int = DETAIL_MAX_CHARS) -> str:
    """Collapse whitespace runs (newlines included) and cut to `limit` characters for an error detail."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_message(error: Any) -> str:
    """The human message of an OpenAI-style error object (``{"message": ...}``) or of a bare string."""
    if isinstance(error, dict):
        message = error.get("message")
        if message is None:
            message = error.get("detail", error)
        return one_line(str(message))
    return one_line(str(error))


# Top-level fields of an OpenAI chunk or completion object; anything else beside `usage` is extra.
STANDARD_FIELDS = frozenset(
    {"id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier"}
)


def usage_extras(obj: dict[str, Any]) -> dict[str, Any]:
    """The non-standard top-level fields of a response object that carries `usage`."""
    return {k: v for k, v in obj.items() if k not in STANDARD_FIELDS}


def cached_tokens(usage: dict[str, Any]) -> int | None:
    """Prompt tokens the server took from its prefix cache (``prompt_tokens_details.cached_tokens``,
    sent by llama-server, and by vLLM with ``--enable-prompt-tokens-details``); None when not said."""
    details = usage.get("prompt_tokens_details")
    value = details.get("cached_tokens") if isinstance(details, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_tokens(usage: dict[str, Any]) -> tuple[int | None, int | None]:
    """(prompt_tokens, completion_tokens) from a usage object; a missing or non-integer count is None."""
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    return (
        prompt if isinstance(prompt, int) else None,
        completion if isinstance(completion, int) else None,
    )
