"""Sending one golden request over httpx (asyncio), with retries for transport failures.

Every attempt is measured into a `RequestRecord`, so a golden run has per-request records
like a load run. A transport failure (connect, timeouts, 429, 5xx, resets, broken streams)
is retried with exponential backoff, honouring Retry-After; a refused request (other 4xx)
is not, since sending it again changes nothing. An answer with no tokens (``empty``) is the
model's answer, not a transport failure: it is returned for scoring.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

import httpx

from harness.protocol import (
    ParsedResponse,
    PromptItem,
    SamplingParams,
    StreamParser,
    build_request,
    classify_http_error,
    join_url,
    parse_json_response,
)
from harness.protocol import errors as kinds
from harness.protocol.request import Api
from harness.records.record import RequestRecord

RETRYABLE_KINDS = frozenset(
    {
        kinds.CONNECT,
        kinds.TIMEOUT_CONNECT,
        kinds.TIMEOUT_FIRST_TOKEN,
        kinds.TIMEOUT_TOTAL,
        kinds.HTTP_429,
        kinds.HTTP_5XX,
        kinds.STREAM_ERROR,
        kinds.TRUNCATED,
        kinds.MALFORMED,
        kinds.RESET,
    }
)
# Kinds that still leave an answer to score.
ANSWERED_KINDS = frozenset({kinds.EMPTY})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_s: float = 0.5  # wait before the 2nd attempt; doubles each time, plus up to 50 % jitter
    max_wait_s: float = 30.0  # cap on any single wait, Retry-After included


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    base_url: str
    model: str
    stream: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    connect_timeout_s: float = 10.0
    timeout_s: float = 120.0  # whole request, from sending to the last byte
    verify_tls: bool = True


@dataclass(slots=True)
class Answer:
    """The outcome of one item: the final attempt's text and timings, and every attempt's record."""

    text: str
    error_kind: str | None
    error_detail: str | None
    latency_s: float | None
    n_in: int | None
    n_out: int | None
    records: list[RequestRecord]

    @property
    def attempts(self) -> int:
        return len(self.records)

    @property
    def transport_failed(self) -> bool:
        return self.error_kind is not None and self.error_kind not in ANSWERED_KINDS


@dataclass(slots=True)
class _Attempt:
    parsed: ParsedResponse
    status: int | None = None
    retry_after_s: float | None = None


def make_client(settings: EndpointSettings, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
    return httpx.AsyncClient(limits=limits, timeout=timeout, verify=settings.verify_tls)


async def ask(
    client: httpx.AsyncClient,
    settings: EndpointSettings,
    api: Api,
    item: PromptItem,
    params: SamplingParams,
    policy: RetryPolicy,
    scenario: str,
    request_id: str,
    rng: random.Random,
) -> Answer:
    """Send `item` until it gets an answer, a non-retryable failure or `policy.max_attempts` tries.

    Attempt k's record has request id ``{request_id}#k``.
    """
    path, body = build_request(api, settings.model, item, params, settings.stream)
    url = join_url(settings.base_url, path)
    payload = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if settings.stream else "application/json",
        "Accept-Encoding": "identity",
        **settings.headers,
    }
    records: list[RequestRecord] = []
    while True:
        record = RequestRecord(
            request_id=f"{request_id}#{len(records) + 1}",
            scenario=scenario,
            api=api,
            prompt_id=item.id,
        )
        attempt = await _attempt(client, url, payload, headers, settings, record)
        records.append(record)
        parsed = attempt.parsed
        kind = parsed.error_kind
        if kind not in RETRYABLE_KINDS or len(records) >= policy.max_attempts:
            return Answer(
                text=parsed.text,
                error_kind=kind,
                error_detail=parsed.error_detail,
                latency_s=parsed.e2e_s,
                n_in=record.n_in,
                n_out=record.n_out,
                records=records,
            )
        await asyncio.sleep(_wait_s(policy, len(records), attempt.retry_after_s, rng))


def _wait_s(policy: RetryPolicy, failures: int, retry_after_s: float | None, rng: random.Random) -> float:
    backoff = policy.backoff_s * 2 ** (failures - 1)
    backoff += rng.uniform(0, backoff / 2)  # jitter keeps concurrent retries from arriving together
    if retry_after_s is not None:
        backoff = max(backoff, retry_after_s)
    return min(backoff, policy.max_wait_s)


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    payload: bytes,
    headers: dict[str, str],
    settings: EndpointSettings,
    record: RequestRecord,
) -> _Attempt:
    record.sent_at = time.time()
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(settings.timeout_s):
            attempt = await _exchange(client, url, payload, headers, t0)
    except TimeoutError:
        attempt = _failed(kinds.TIMEOUT_TOTAL, f"no complete response within {settings.timeout_s:g}s", t0)
    except httpx.ConnectTimeout:
        attempt = _failed(kinds.TIMEOUT_CONNECT, "connect timed out", t0)
    except httpx.ConnectError as e:
        attempt = _failed(kinds.CONNECT, f"cannot connect ({e})", t0)
    except httpx.ReadTimeout:
        attempt = _failed(kinds.TIMEOUT_TOTAL, "the server stopped sending", t0)
    except httpx.TransportError as e:  # read/write errors, protocol errors: the connection broke
        attempt = _failed(kinds.RESET, f"connection lost ({type(e).__name__})", t0)
    _fill_record(record, attempt)
    return attempt


async def _exchange(
    client: httpx.AsyncClient, url: str, payload: bytes, headers: dict[str, str], t0: float
) -> _Attempt:
    async with client.stream("POST", url, content=payload, headers=headers) as response:
        if response.status_code >= 400:
            body = await response.aread()
            kind, detail, retry_after = classify_http_error(response.status_code, body, response.headers)
            parsed = ParsedResponse(e2e_s=time.perf_counter() - t0, error_kind=kind, error_detail=detail)
            return _Attempt(parsed, response.status_code, retry_after)
        if "text/event-stream" in response.headers.get("content-type", ""):
            parser = StreamParser()
            async for piece in response.aiter_raw():
                parser.feed(piece, time.perf_counter() - t0)
            return _Attempt(parser.close(time.perf_counter() - t0, clean_eof=True), response.status_code)
        body = await response.aread()
        return _Attempt(parse_json_response(body, time.perf_counter() - t0), response.status_code)


def _failed(kind: str, detail: str, t0: float) -> _Attempt:
    return _Attempt(ParsedResponse(e2e_s=time.perf_counter() - t0, error_kind=kind, error_detail=detail))


def _fill_record(record: RequestRecord, attempt: _Attempt) -> None:
    record.status_code = attempt.status
    record.apply_response(attempt.parsed)
