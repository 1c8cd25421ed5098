"""Streaming response parser: SSE chunks of a chat or completions stream -> `ParsedResponse`.

Works for both APIs without being told which: a chat chunk's choice carries `delta`
(`content`, and `reasoning_content` or `reasoning` for reasoning models), a completions chunk's
choice carries `text`. The usage chunk may come on its own with empty `choices` (vLLM, OpenAI)
or on the last choice chunk (llama.cpp); `usage: null` on ordinary chunks is ignored.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from harness.protocol import errors
from harness.protocol.parsed import (
    ParsedResponse,
    cached_tokens,
    error_message,
    one_line,
    usage_extras,
    usage_tokens,
)
from harness.protocol.sse import SSEDecoder

_DONE = "[DONE]"


class StreamParser:
    """Feed the body of one streamed response as it arrives, then `close` it.

    ``feed(data, t)`` takes each piece of the body with ``t``, the seconds since t0 at which
    it arrived; every event completed by that piece is stamped with ``t``. ``close(t_end,
    clean_eof)`` ends the stream (``t_end`` = time of the last byte; ``clean_eof`` False when
    the connection was reset rather than closed) and returns the result. The first error met
    is the one reported; parsing goes on after a malformed chunk so text and timings stay
    available.
    """

    __slots__ = (
        "_cached_tokens",
        "_completion_tokens",
        "_decoder",
        "_done",
        "_error_detail",
        "_error_kind",
        "_extra",
        "_finish_reason",
        "_prompt_tokens",
        "_reasoning",
        "_text",
        "_times",
        "_ttfc",
        "_ttft",
    )

    def __init__(self) -> None:
        self._decoder = SSEDecoder()
        self._ttft: float | None = None
        self._ttfc: float | None = None
        self._times: list[float] = []
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._prompt_tokens: int | None = None
        self._completion_tokens: int | None = None
        self._cached_tokens: int | None = None
        self._finish_reason: str | None = None
        self._done = False
        self._error_kind: str | None = None
        self._error_detail: str | None = None
        self._extra: dict[str, Any] = {}

    def feed(self, data: bytes, t: float) -> None:
        """Consume the next piece of the body, received at `t` seconds after t0."""
        for payload in self._decoder.feed(data):
            self._event(payload, t)

    @property
    def has_content(self) -> bool:
        """True once a chunk with generated content (text or reasoning) has arrived."""
        return self._ttft is not None

    def close(self, t_end: float, clean_eof: bool = True) -> ParsedResponse:
        """End the stream at `t_end` (last byte) and return what it carried."""
        # An event the stream ended inside of was cut off, not malformed.
        cut = errors.TRUNCATED if clean_eof else errors.RESET
        for payload in self._decoder.flush():
            self._event(payload, t_end, cut)
        times = self._times
        n_chunks = len(times)
        kind, detail = self._error_kind, self._error_detail
        if kind is None and not self._done and self._finish_reason is None:
            if clean_eof:
                kind = errors.TRUNCATED
                detail = f"stream ended without [DONE] or finish_reason after {n_chunks} content chunks"
            else:
                kind = errors.RESET
                detail = f"connection lost mid-stream after {n_chunks} content chunks"
        elif kind is None and n_chunks == 0:
            kind, detail = errors.EMPTY, "stream carried no generated content"
        return ParsedResponse(
            ttft_s=self._ttft,
            ttfc_s=self._ttfc,
            e2e_s=t_end,
            content_times_s=times,
            chunk_gaps_s=[b - a for a, b in pairwise(times)],
            n_content_chunks=n_chunks,
            text="".join(self._text),
            reasoning_text="".join(self._reasoning),
            prompt_tokens=self._prompt_tokens,
            completion_tokens=self._completion_tokens,
            cached_tokens=self._cached_tokens,
            finish_reason=self._finish_reason,
            done_seen=self._done,
            error_kind=kind,
            error_detail=detail,
            extra=self._extra,
        )

    def _fail(self, kind: str, detail: str) -> None:
        if self._error_kind is None:
            self._error_kind, self._error_detail = kind, detail

    def _event(self, payload: str | None, t: float, cut: str | None = None) -> None:
        """One event's data; ``cut``: the kind to report if it is incomplete (the stream ended in it)."""
        if payload is None:
            self._fail(errors.MALFORMED, "stream event data is not valid UTF-8")
            return
        if payload == _DONE:
            self._done = True
            return
        if not payload:
            return  # an empty `data:` line carries nothing
        try:
            chunk = json.loads(payload)
        except ValueError:
            if cut is not None:
                self._fail(cut, one_line(f"stream ended inside an event: {payload!r}"))
            else:
                self._fail(errors.MALFORMED, one_line(f"stream chunk is not JSON: {payload!r}"))
            return
        if not isinstance(chunk, dict):
            self._fail(errors.MALFORMED, one_line(f"stream chunk is not a JSON object: {payload!r}"))
            return
        error = chunk.get("error")
        if error is not None or chunk.get("object") == "error":
            self._fail(errors.STREAM_ERROR, error_message(chunk if error is None else error))
            return

        try:
            self._chunk(chunk, t)
        except (AttributeError, TypeError):
            # A field of the wrong JSON type (e.g. `choices` not a list of objects).
            self._fail(errors.MALFORMED, one_line(f"stream chunk has an unexpected shape: {payload!r}"))

    def _chunk(self, chunk: dict[str, Any], t: float) -> None:
        has_content = has_answer = False
        choices = chunk.get("choices")
        if choices:
            for choice in choices:
                delta = choice.get("delta")
                if delta is None:
                    text = choice.get("text")  # completions API
                else:
                    text = delta.get("content")
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    if reasoning:
                        self._reasoning.append(_as_str(reasoning))
                        has_content = True
                if text:
                    self._text.append(_as_str(text))
                    has_content = has_answer = True
                finish = choice.get("finish_reason")
                if finish is not None:
                    self._finish_reason = _as_str(finish)
        if has_content:
            self._times.append(t)
            if self._ttft is None:
                self._ttft = t
            if has_answer and self._ttfc is None:
                self._ttfc = t

        usage = chunk.get("usage")
        if usage:
            self._prompt_tokens, self._completion_tokens = usage_tokens(usage)
            self._cached_tokens = cached_tokens(usage)
            self._extra = usage_extras(chunk)


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
