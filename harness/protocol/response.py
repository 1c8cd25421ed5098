"""Non-streaming responses: a JSON completion body, and HTTP error statuses."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
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


def parse_json_response(body: bytes, t_end: float) -> ParsedResponse:
    """Parse a complete 200 body of the chat or completions API, received in full at `t_end`.

    The whole answer arrives at once: only E2E is measured. TTFT, TPOT and ITL stay undefined
    (None, no chunks), never E2E in disguise; stream to measure them.
    `done_seen` stays False: `[DONE]` belongs to streams only; completeness is `ok`.
    An error object in the body is a STREAM_ERROR (HTTP kinds are for HTTP statuses).
    """
    result = ParsedResponse(e2e_s=t_end)
    head = body[:120]
    try:
        obj = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        return _failed(result, errors.MALFORMED, one_line(f"response body is not JSON: {head!r}"))
    if not isinstance(obj, dict):
        return _failed(result, errors.MALFORMED, one_line(f"response body is not a JSON object: {head!r}"))
    error = obj.get("error")
    if error is not None or obj.get("object") == "error":
        return _failed(result, errors.STREAM_ERROR, error_message(obj if error is None else error))
    try:
        _fill(result, obj)
    except (AttributeError, TypeError):
        return _failed(result, errors.MALFORMED, one_line(f"response body has an unexpected shape: {head!r}"))
    if not (result.text or result.reasoning_text):
        _failed(result, errors.EMPTY, "response carried no generated content")
    return result


def _fill(result: ParsedResponse, obj: dict[str, Any]) -> None:
    choices = obj.get("choices") or []
    if choices:
        choice = choices[0]
        message = choice.get("message")
        if message is None:
            result.text = _str(choice.get("text"))  # completions API
        else:
            result.text = _str(message.get("content"))
            result.reasoning_text = _str(message.get("reasoning_content") or message.get("reasoning"))
        finish = choice.get("finish_reason")
        result.finish_reason = None if finish is None else _str(finish)
    usage = obj.get("usage")
    if usage:
        result.prompt_tokens, result.completion_tokens = usage_tokens(usage)
        result.cached_tokens = cached_tokens(usage)
        result.extra = usage_extras(obj)


def _str(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _failed(result: ParsedResponse, kind: str, detail: str) -> ParsedResponse:
    result.error_kind, result.error_detail = kind, detail
    return result


def classify_http_error(
    status: int, body: bytes, headers: Mapping[str, str]
) -> tuple[str, str, float | None]:
    """(error kind, one-line detail, Retry-After seconds or None) for a non-2xx response.

    The detail quotes the message of an OpenAI error body (``{"error": {"message": ...}}``), a
    FastAPI ``{"detail": ...}`` or the start of a plain-text body.
    """
    kind = errors.kind_for_status(status)
    head = f"HTTP {status}"
    if kind == errors.AUTH:
        head += " (API key refused: check endpoint.api_key_env / api_key_file)"
    message = _body_message(body)
    detail = f"{head}: {message}" if message else head
    return kind, one_line(detail), _retry_after(headers)


def _body_message(body: bytes) -> str:
    if not body:
        return ""
    try:
        obj = json.loads(body)
    except ValueError:
        return one_line(body.decode("utf-8", errors="replace"))
    if isinstance(obj, dict):
        if "error" in obj:
            return error_message(obj["error"])
        return error_message(obj)
    return one_line(str(obj))


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        # The other allowed form is an HTTP date.
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000": HTTP dates are UTC
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0) if math.isfinite(seconds) else None
