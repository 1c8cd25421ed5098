"""parse_json_response and classify_http_error: non-streamed bodies and HTTP failures."""

from __future__ import annotations

import json
from email.utils import formatdate
from time import time
from typing import Any

import pytest

from harness.protocol import classify_http_error, errors, parse_json_response


def body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def test_chat_body_with_reasoning_and_usage() -> None:
    result = parse_json_response(
        body(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "4", "reasoning_content": "2+2"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
                "sim": {"e2e_ms": 80.0},
            }
        ),
        t_end=0.8,
    )
    assert result.ok
    assert (result.text, result.reasoning_text, result.finish_reason) == ("4", "2+2", "stop")
    assert (result.prompt_tokens, result.completion_tokens) == (11, 5)
    # A whole answer measures E2E only: TTFT is not measured, never set to E2E.
    assert (result.ttft_s, result.ttfc_s, result.e2e_s) == (None, None, 0.8)
    assert (result.content_times_s, result.chunk_gaps_s, result.n_content_chunks) == ([], [], 0)
    assert result.extra == {"sim": {"e2e_ms": 80.0}}
    assert not result.done_seen


def test_completions_body() -> None:
    result = parse_json_response(
        body({"object": "text_completion", "choices": [{"text": " there", "finish_reason": "length"}]}), 1.5
    )
    assert (result.ok, result.text, result.finish_reason, result.completion_tokens) == (
        True,
        " there",
        "length",
        None,
    )


def test_reasoning_only_answer_is_an_answer() -> None:
    result = parse_json_response(
        body({"choices": [{"message": {"content": None, "reasoning": "hmm"}, "finish_reason": "length"}]}),
        2.0,
    )
    assert result.ok and result.reasoning_text == "hmm" and result.ttft_s is None and result.e2e_s == 2.0


@pytest.mark.parametrize(
    ("raw", "kind", "detail"),
    [
        (
            b"<html>502 Bad Gateway</html>",
            errors.MALFORMED,
            "response body is not JSON: b'<html>502 Bad Gateway</html>'",
        ),
        (b'{"text": "\xff"}', errors.MALFORMED, 'response body is not JSON: b\'{"text": "\\xff"}\''),
        (b"[]", errors.MALFORMED, "response body is not a JSON object: b'[]'"),
        (b'{"choices": [{"message": "hi"}]}', errors.MALFORMED, None),
        (b'{"error": {"message": "context too long", "code": 400}}', errors.STREAM_ERROR, "context too long"),
        (b'{"choices": [{"message": {"content": ""}, "finish_reason": "stop"}]}', errors.EMPTY, None),
        (b'{"choices": []}', errors.EMPTY, None),
    ],
)
def test_bad_bodies(raw: bytes, kind: str, detail: str | None) -> None:
    result = parse_json_response(raw, 0.3)
    assert result.error_kind == kind and not result.ok and result.e2e_s == 0.3
    if detail is not None:
        assert result.error_detail == detail


def test_http_429_with_openai_error_and_retry_after_seconds() -> None:
    raw = body({"error": {"message": "Rate limit\nreached", "type": "rate_limit_error", "code": 429}})
    assert classify_http_error(429, raw, {"Retry-After": "2.5"}) == (
        errors.HTTP_429,
        "HTTP 429: Rate limit reached",
        2.5,
    )


def test_http_date_retry_after_and_header_case() -> None:
    kind, _, retry = classify_http_error(503, b"", {"retry-after": formatdate(time() + 30, usegmt=True)})
    assert kind == errors.HTTP_5XX
    assert retry is not None and 28.0 <= retry <= 30.0
    assert classify_http_error(503, b"", {"RETRY-AFTER": formatdate(time() - 60, usegmt=True)})[2] == 0.0


@pytest.mark.parametrize("value", ["soon", "nan", "inf", ""])
def test_unusable_retry_after_is_none(value: str) -> None:
    assert classify_http_error(429, b"", {"Retry-After": value})[2] is None


@pytest.mark.parametrize(
    ("status", "raw", "expected"),
    [
        (
            401,
            b"",
            (errors.AUTH, "HTTP 401 (API key refused: check endpoint.api_key_env / api_key_file)", None),
        ),
        (404, b'{"detail": "Not Found"}', (errors.HTTP_4XX, "HTTP 404: Not Found", None)),
        (400, b'{"object": "error", "message": "bad seed"}', (errors.HTTP_4XX, "HTTP 400: bad seed", None)),
        (500, b'{"error": "boom"}', (errors.HTTP_5XX, "HTTP 500: boom", None)),
        (502, b"upstream\n connect error", (errors.HTTP_5XX, "HTTP 502: upstream connect error", None)),
    ],
)
def test_http_error_details(status: int, raw: bytes, expected: tuple[str, str, float | None]) -> None:
    assert classify_http_error(status, raw, {}) == expected


def test_long_error_body_is_cut_to_one_short_line() -> None:
    _, detail, _ = classify_http_error(500, b"Traceback\n" + b"frame\n" * 200, {})
    assert len(detail) == 200 and "\n" not in detail and detail.startswith("HTTP 500: Traceback frame")
