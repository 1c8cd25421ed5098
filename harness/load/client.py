"""One request to the endpoint over the harness's own connections, measured into a record.

The body is read as it arrives and handed to the protocol layer's parser with its arrival
time; the parser turns bytes into timings, this module only does I/O and blame:

- ``t0`` is the moment the request's bytes are written: waiting for or opening a connection
  is not part of TTFT (it shows as schedule lag in open loop);
- the first-token timer starts once the request is written (streamed requests only; a
  non-streamed answer arrives whole, so only the total timer applies to it), the total timer
  at ``t0``; connecting has its own timeout, ``timeout_connect``;
- a timed-out, abandoned or broken request closes its connection, so the server sees the
  disconnect and stops generating;
- a request that fails on a reused connection before any response byte never reached the
  server: it is sent once more on a fresh connection and counted in ``stale_retries``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace

import gevent

from harness.load.context import LoadContext, Timeouts
from harness.load.http import (
    ConnectFailed,
    Connection,
    ConnectionLost,
    ConnectionPool,
    ProtocolError,
    Response,
)
from harness.load.targets import Route
from harness.protocol import (
    ParsedResponse,
    PromptItem,
    SamplingParams,
    StreamParser,
    build_request,
    classify_http_error,
    parse_json_response,
)
from harness.protocol import errors as kinds
from harness.protocol.request import flatten_messages
from harness.protocol.tokenizer import TokenCounter
from harness.records.record import TOKEN_SOURCE_TOKENIZER, TOKEN_SOURCE_USAGE, RequestRecord

# An error body is read up to this size for its message; the rest is not needed.
ERROR_BODY_MAX_BYTES = 65536


class _FirstTokenTimeout(Exception):
    pass


class _TotalTimeout(Exception):
    pass


class _Stale(Exception):
    """The reused connection was closed by the server before it saw the request."""


def request_headers(ctx: LoadContext, route: Route | None = None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if ctx.stream else "application/json",
        # Compression would make the server buffer a stream: ask for it raw.
        "Accept-Encoding": "identity",
    }
    headers.update(ctx.headers if route is None else route.headers)
    return headers


def params_for(item: PromptItem, params: SamplingParams) -> SamplingParams:
    """The sampling params of one request: the item may fix its own output length."""
    if item.expected_output_tokens is None:
        return params
    return replace(params, max_tokens=item.expected_output_tokens)


@dataclass(slots=True)
class Outcome:
    record: RequestRecord
    retry_after_s: float | None = None  # from a Retry-After header, if the endpoint sent one
    parsed: ParsedResponse | None = None
    sent_clock: float | None = None  # t0: when the request was written (time.perf_counter)


def perform(
    pool: ConnectionPool,
    ctx: LoadContext,
    item: PromptItem,
    intended_at: float | None = None,
    route: Route | None = None,
    pair_id: str | None = None,
    session: tuple[str, int] | None = None,
) -> Outcome:
    """Send one request, read the whole response, return its record (never raises for endpoint
    faults). ``route`` sends it to one of several targets (its model and headers), as that target;
    ``session`` is the (session id, turn) a multi-turn request belongs to."""
    params = params_for(item, ctx.params)
    model = ctx.model if route is None else route.model
    path, body = build_request(ctx.api, model, item, params, ctx.stream, ctx.include_usage)  # type: ignore[arg-type]
    payload = json.dumps(body).encode()
    data = pool.origin.request_head(path, request_headers(ctx, route), len(payload)) + payload
    rec = RequestRecord(
        request_id=ctx.next_request_id(),
        scenario=ctx.scenario,
        worker=ctx.worker,
        api=ctx.api,
        intended_at=intended_at,
        prompt_id=item.id,
        target=ctx.target if route is None else route.name,
        pair_id=pair_id,
    )
    if session is not None:
        rec.session_id, rec.turn = session
    outcome = Outcome(rec)
    ctx.issued += 1
    ctx.in_flight += 1
    rec.concurrency_at_send = ctx.in_flight
    try:
        _exchange(pool, ctx, data, outcome)
    finally:
        ctx.in_flight -= 1
    if outcome.parsed is not None:
        rec.apply_response(outcome.parsed, outcome.sent_clock)
        if ctx.tokens is not None:
            count_locally(rec, ctx.tokens, item)
    return outcome


def _exchange(pool: ConnectionPool, ctx: LoadContext, data: bytes, outcome: Outcome) -> None:
    rec = outcome.record
    fresh = False
    while True:
        start = time.perf_counter()
        _stamp(rec, ctx, time.time())
        try:
            conn = pool.acquire(fresh)
        except ConnectFailed as e:
            _fail(rec, e.kind, e.detail, start)
            return
        _stamp(rec, ctx, time.time())
        try:
            _send_and_read(pool, conn, ctx, data, outcome)
            return
        except _Stale:
            if fresh:
                _fail(rec, kinds.RESET, "connection closed before any response byte", start)
                return
            rec.stale_retries += 1
            fresh = True


def _stamp(rec: RequestRecord, ctx: LoadContext, sent_at: float) -> None:
    rec.sent_at = sent_at
    if rec.intended_at is not None:
        rec.schedule_lag_s = sent_at - rec.intended_at
    # An open-loop request belongs to the phase and stage its arrival was scheduled in.
    at = sent_at if rec.intended_at is None else rec.intended_at
    rec.phase = ctx.phase_of(at)
    rec.stage = ctx.stage_of(at)


def _send_and_read(
    pool: ConnectionPool, conn: Connection, ctx: LoadContext, data: bytes, outcome: Outcome
) -> None:
    rec = outcome.record
    t0 = outcome.sent_clock = time.perf_counter()
    total = gevent.Timeout(ctx.timeouts.total_s, _TotalTimeout())
    first = gevent.Timeout(ctx.timeouts.first_token_s, _FirstTokenTimeout())
    reusable = False
    resp = Response()
    total.start()
    try:
        try:
            conn.sock.sendall(data)
        except OSError:
            if conn.reused:
                raise _Stale from None
            _fail(rec, kinds.RESET, "connection lost while sending the request", t0)
            return
        if ctx.stream:
            first.start()
        reusable = _read(conn, resp, outcome, t0, first, ctx.timeouts)
    except ConnectionLost as lost:
        if conn.reused and lost.received == 0:
            raise _Stale from None
        detail = "connection reset" if lost.reset else "connection closed"
        _fail(rec, kinds.RESET, f"{detail} before the response was complete", t0)
    except ProtocolError as e:
        _fail(rec, kinds.MALFORMED, str(e), t0)
    except _FirstTokenTimeout:
        _fail(rec, kinds.TIMEOUT_FIRST_TOKEN, f"no token within {ctx.timeouts.first_token_s:g}s", t0)
    except _TotalTimeout:
        _fail(rec, kinds.TIMEOUT_TOTAL, f"response not complete within {ctx.timeouts.total_s:g}s", t0)
    except gevent.GreenletExit:
        # The run is stopping and did not wait for this request: keep what it measured.
        _fail(rec, kinds.CANCELLED, "stopped by the harness before the response completed", t0)
        outcome.parsed = None
    finally:
        first.close()
        total.close()
        # Anything but a complete keep-alive response closes the connection at once.
        pool.release(conn, reusable)


def _read(
    conn: Connection, resp: Response, outcome: Outcome, t0: float, first: gevent.Timeout, limits: Timeouts
) -> bool:
    """Read the response; returns whether the connection may carry another request.

    The timers fire while a read waits; a response whose bytes keep arriving never waits, so
    the deadlines are also checked after every read."""
    rec = outcome.record
    arrived = time.perf_counter()
    while not resp.headers_complete:
        arrived = resp.read_some(conn)
    status = resp.status_code
    rec.status_code = status
    if status >= 400:
        first.cancel()
        body = bytearray(resp.body())
        try:
            while not resp.message_complete and len(body) < ERROR_BODY_MAX_BYTES:
                resp.read_some(conn)
                body += resp.body()
        except ConnectionLost:
            pass
        headers = {name.lower(): value for name, value in resp.items()}
        kind, detail, outcome.retry_after_s = classify_http_error(status, bytes(body), headers)
        _fail(rec, kind, detail, t0)
        return resp.message_complete and resp.reusable()
    parser = StreamParser() if "text/event-stream" in resp.header("content-type") else None
    if parser is None:
        first.cancel()  # a whole answer: only the total timeout applies
    whole = bytearray()
    lost: ConnectionLost | None = None
    t = max(arrived - t0, 0.0)  # the clock of every piece: when its bytes arrived
    while True:
        piece = resp.body()
        if piece:
            if parser is not None:
                parser.feed(piece, t)
                if first.pending and parser.has_content:
                    first.cancel()
            else:
                whole += piece
        if resp.message_complete:
            break
        try:
            t = max(resp.read_some(conn) - t0, t)  # never backwards, whatever the wall clock did
        except ConnectionLost as e:
            lost = e
            break
        if t > limits.total_s:
            raise _TotalTimeout
        if first.pending and t > limits.first_token_s:
            raise _FirstTokenTimeout
    t_end = t  # when the last bytes arrived
    if parser is not None:
        outcome.parsed = parser.close(t_end, clean_eof=lost is None or not lost.reset)
    else:
        parsed = parse_json_response(bytes(whole), t_end)
        if lost is not None and parsed.error_kind is None:
            parsed.error_kind, parsed.error_detail = kinds.RESET, "connection lost mid-response"
        outcome.parsed = parsed
    return lost is None and resp.reusable()


def count_locally(rec: RequestRecord, tokens: TokenCounter, item: PromptItem) -> None:
    """Token counts from the endpoint's tokenizer: the count when the server sent no usage, a
    second count to compare with usage when it did."""
    out = tokens.count(rec.output_text or "")
    if rec.token_source == TOKEN_SOURCE_USAGE:
        rec.n_out_alt = out
    else:
        rec.n_out, rec.token_source = out, TOKEN_SOURCE_TOKENIZER
    if rec.n_in is None:
        prompt = item.prompt if item.prompt is not None else flatten_messages(item.messages)
        rec.n_in = tokens.count(prompt)


def _fail(rec: RequestRecord, kind: str, detail: str, t0: float) -> None:
    rec.ok = False
    rec.error_kind = kind
    rec.error_detail = detail[:200]
    rec.e2e_s = time.perf_counter() - t0
