"""Error kinds: the closed set used to classify every failed request.

These strings appear in records, summaries, metrics labels and reports, so the
set stays small and bounded.
"""

from __future__ import annotations

CONNECT = "connect"  # connection refused / DNS / TLS failure before any response
TIMEOUT_CONNECT = "timeout_connect"
TIMEOUT_FIRST_TOKEN = "timeout_first_token"
TIMEOUT_TOTAL = "timeout_total"
HTTP_429 = "http_429"
AUTH = "auth"  # 401 / 403: the endpoint refused the credentials
HTTP_4XX = "http_4xx"  # other 4xx
HTTP_5XX = "http_5xx"
STREAM_ERROR = "stream_error"  # an error object sent inside the stream
TRUNCATED = "truncated"  # stream ended without [DONE] and without a finish_reason
MALFORMED = "malformed"  # a chunk that is not valid JSON / not valid UTF-8
RESET = "reset"  # connection reset / closed mid-response
EMPTY = "empty"  # a 200 response with no generated tokens at all
CLIENT = "client"  # the harness itself failed (bug or overload); never blamed on the endpoint
CANCELLED = "cancelled"  # the harness stopped the request: the run ended or was interrupted

ALL_KINDS: tuple[str, ...] = (
    CONNECT,
    TIMEOUT_CONNECT,
    TIMEOUT_FIRST_TOKEN,
    TIMEOUT_TOTAL,
    HTTP_429,
    AUTH,
    HTTP_4XX,
    HTTP_5XX,
    STREAM_ERROR,
    TRUNCATED,
    MALFORMED,
    RESET,
    EMPTY,
    CLIENT,
    CANCELLED,
)


def kind_for_status(status: int) -> str:
    """Classify a non-2xx HTTP status."""
    if status == 429:
        return HTTP_429
    if status in (401, 403):
        return AUTH
    if status >= 500:
        return HTTP_5XX
    return HTTP_4XX
