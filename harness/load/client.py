"""One request to the endpoint over Locust's fast HTTP client, measured into a record.

The body is read as it arrives and handed to the protocol layer's parser with its
arrival time; the parser turns bytes into timings, this module only does I/O.
"""

from __future__ import annotations

import errno
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import gevent
from geventhttpclient.response import HTTPParseError
from locust.contrib.fasthttp import FastHttpSession

from harness.load.context import LoadContext
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
from harness.protocol.request import flatten_messages
from harness.protocol.tokenizer import TokenCounter
from harness.records.record import TOKEN_SOURCE_TOKENIZER, TOKEN_SOURCE_USAGE, RequestRecord

REQUEST_NAME = "generate"


class _FirstTokenTimeout(Exception):
    pass


class _TotalTimeout(Exception):
    pass


class _ConnectionLost(Exception):
    def __init__(self, reset: bool) -> None:
        super().__init__("connection reset" if reset else "connection closed early")
        self.reset = reset


def request_headers(ctx: LoadContext) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if ctx.stream else "application/json",
        # Compression would make the client buffer a stream: ask for it raw.
        "Accept-Encoding": "identity",
    }
    headers.update(ctx.headers)
    return headers


def _body_pieces(raw: Any) -> Iterator[bytes]:
    """Yield body bytes as soon as they arrive.

    geventhttpclient's ``read(n)`` blocks until n bytes are buffered and Locust's
    ``iter_content`` hides connection errors, so this reads the socket directly and
    feeds geventhttpclient's parser (which undoes chunked encoding).
    """
    buf = raw._body_buffer
    while True:
        if buf:
            data = bytes(buf)
            del buf[:]
            yield data
            continue
        if raw.message_complete:
            return
        sock = raw._sock
        if sock is None:
            raise _ConnectionLost(reset=False)
        try:
            data = sock.recv(raw.block_size)
        except OSError as e:
            raw.release()
            raise _ConnectionLost(reset=e.errno in (errno.ECONNRESET, errno.EPIPE)) from e
        if not data:
            raw.release()
            raise _ConnectionLost(reset=False)
        try:
            raw.feed(data)
        except HTTPParseError as e:
            raw.release()
            raise _ConnectionLost(reset=False) from e


def _classify_exception(exc: BaseException | None) -> tuple[str, str]:
    if isinstance(exc, ConnectionRefusedError):
        return kinds.CONNECT, "connection refused"
    if isinstance(exc, ConnectionResetError):
        return kinds.RESET, "connection reset"
    if isinstance(exc, socket.timeout | TimeoutError | gevent.Timeout):
        return kinds.TIMEOUT_CONNECT, "connect timed out"
    if isinstance(exc, socket.gaierror):
        return kinds.CONNECT, f"name resolution failed: {exc}"
    return kinds.CONNECT, f"{type(exc).__name__}: {exc}"[:200]


def params_for(item: PromptItem, params: SamplingParams) -> SamplingParams:
    """The sampling params of one request: the item may fix its own output length."""
    if item.expected_output_tokens is None:
        return params
    return replace(params, max_tokens=item.expected_output_tokens)


@dataclass(slots=True)
class Outcome:
    record: RequestRecord
    retry_after_s: float | None = None  # from a Retry-After header, if the endpoint sent one


def perform(
    session: FastHttpSession,
    ctx: LoadContext,
    item: PromptItem,
    intended_at: float | None = None,
) -> Outcome:
    """Send one request, read the whole response, return its record (never raises for endpoint faults)."""
    params = params_for(item, ctx.params)
    path, body = build_request(ctx.api, ctx.model, item, params, ctx.stream, ctx.include_usage)  # type: ignore[arg-type]
    url = join_url(ctx.base_url, path)
    payload = json.dumps(body)
    rec = RequestRecord(
        request_id=ctx.next_request_id(),
        scenario=ctx.scenario,
        worker=ctx.worker,
        api=ctx.api,
        intended_at=intended_at,
        prompt_id=item.id,
    )
    ctx.issued += 1
    ctx.in_flight += 1
    rec.concurrency_at_send = ctx.in_flight
    first_token = gevent.Timeout(ctx.timeouts.first_token_s, _FirstTokenTimeout())
    total = gevent.Timeout(ctx.timeouts.total_s, _TotalTimeout())
    rec.sent_at = time.time()
    t0 = time.perf_counter()
    if intended_at is not None:
        rec.schedule_lag_s = rec.sent_at - intended_at
    rec.phase = ctx.phase_of(rec.sent_at)
    parsed: ParsedResponse | None = None
    outcome = Outcome(rec)
    first_token.start()
    total.start()
    try:
        with session.request(
            "POST",
            url,
            data=payload,
            headers=request_headers(ctx),
            stream=True,
            catch_response=True,
            name=REQUEST_NAME,
        ) as resp:
            parsed = _read_response(resp, outcome, t0, first_token)
            _report_to_locust(resp, rec, parsed)
    except _FirstTokenTimeout:
        _fail(rec, kinds.TIMEOUT_FIRST_TOKEN, f"no token within {ctx.timeouts.first_token_s:g}s", t0)
    except _TotalTimeout:
        _fail(rec, kinds.TIMEOUT_TOTAL, f"response not complete within {ctx.timeouts.total_s:g}s", t0)
    except gevent.GreenletExit:
        # The run is stopping and did not wait for this request: keep what it measured.
        _fail(rec, kinds.CANCELLED, "stopped by the harness before the response completed", t0)
        parsed = None
    finally:
        first_token.close()
        total.close()
        ctx.in_flight -= 1
    if parsed is not None:
        rec.apply_response(parsed)
        if ctx.tokens is not None:
            count_locally(rec, ctx.tokens, item)
    return outcome


def count_locally(rec: RequestRecord, tokens: TokenCounter, item: PromptItem) -> None:
    """Token counts from the endpoint's tokenizer: the count when the server sent no usage, a
    second count to compare with usage when it did."""
    out = tokens.count(rec.output_text or "")
    if rec.token_source == TOKEN_SOURCE_USAGE:
        rec.n_out_alt = out
    else:
        rec.n_out, rec.n_out_alt, rec.token_source = out, rec.n_content_chunks, TOKEN_SOURCE_TOKENIZER
    if rec.n_in is None:
        prompt = item.prompt if item.prompt is not None else flatten_messages(item.messages)
        rec.n_in = tokens.count(prompt)


def _read_response(
    resp: Any, outcome: Outcome, t0: float, first_token: gevent.Timeout
) -> ParsedResponse | None:
    rec = outcome.record
    status = resp.status_code
    rec.status_code = status or None
    raw = getattr(resp, "_response", None)
    error = getattr(resp, "error", None)
    if raw is None or not status:
        kind, detail = _classify_exception(error)
        _fail(rec, kind, detail, t0)
        return None
    headers = {k.lower(): v for k, v in (resp.headers or {}).items()}
    if status >= 400:
        chunks = bytearray()
        try:
            for piece in _body_pieces(raw):
                chunks += piece
        except _ConnectionLost:
            pass
        kind, detail, outcome.retry_after_s = classify_http_error(status, bytes(chunks), headers)
        _fail(rec, kind, detail, t0)
        return None
    content_type = headers.get("content-type", "")
    streaming = "text/event-stream" in content_type
    parser = StreamParser() if streaming else None
    body = bytearray()
    clean = True
    try:
        for piece in _body_pieces(raw):
            t = time.perf_counter() - t0
            if parser is not None:
                parser.feed(piece, t)
                if first_token.pending and parser.has_content:
                    first_token.cancel()
            else:
                body += piece
    except _ConnectionLost as lost:
        clean = not lost.reset
    t_end = time.perf_counter() - t0
    if parser is not None:
        return parser.close(t_end, clean_eof=clean)
    first_token.cancel()
    parsed = parse_json_response(bytes(body), t_end)
    if not clean and parsed.error_kind is None:
        parsed.error_kind, parsed.error_detail = kinds.RESET, "connection reset"
    return parsed


def _fail(rec: RequestRecord, kind: str, detail: str, t0: float) -> None:
    rec.ok = False
    rec.error_kind = kind
    rec.error_detail = detail[:200]
    rec.e2e_s = time.perf_counter() - t0


def _report_to_locust(resp: Any, rec: RequestRecord, parsed: ParsedResponse | None) -> None:
    """Locust's own stats see end-to-end latency and our error kinds (its UI and CSVs stay useful)."""
    if parsed is not None and parsed.e2e_s is not None:
        resp.request_meta["response_time"] = parsed.e2e_s * 1000.0
        resp.request_meta["response_length"] = parsed.completion_tokens or parsed.n_content_chunks
    kind = parsed.error_kind if parsed is not None else rec.error_kind
    if kind is None:
        resp.success()
    else:
        detail = parsed.error_detail if parsed is not None else rec.error_detail
        resp.failure(f"{kind}: {detail or ''}".strip())
