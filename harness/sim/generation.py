"""One admitted sequence, sent as an SSE stream or as one JSON body.

Ground truth, for measuring a client's timing error:
  * response headers ``x-sim-queue-ms`` (receipt to admission) and ``x-sim-ttft-ms`` (receipt to
    the intended first token: queueing + TTFT + prefill + jitter, plus a stall that falls before
    the first token). Streaming headers go out at admission, before the first token, so they carry
    only what is known then; a non-streaming response adds ``x-sim-e2e-ms``.
  * ``"sim": {"ttft_ms", "e2e_ms", "queue_ms"}`` in the usage chunk (or the JSON body): what
    actually happened server-side, from request receipt to the moment the first / last token
    was handed to the socket; with ``"clock"`` (the machine's boot id, ``protocol.clock``) and
    ``"first_token_at"`` / ``"last_token_at"``, those moments on the machine's monotonic clock,
    so that a client on the same machine measures against them from its own send time (the
    time the request waited to be read by the simulator is the server's, not the client's).
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from dataclasses import dataclass

from aiohttp import web

from harness.protocol.clock import CLOCK_ID
from harness.sim import faults as fk
from harness.sim.chunks import DONE, MIDSTREAM_ERROR, ChunkEncoder, dumps, error_body, full_response
from harness.sim.faults import FaultPlan
from harness.sim.metrics import SimMetrics
from harness.sim.plan import RequestPlan
from harness.sim.scheduler import Scheduler
from harness.sim.timing import TokenClock, sleep_until
from harness.sim.tokens import generated_token_json

SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Backend:
    """What every sequence shares: the scheduler, its clock, the metrics and the served model name."""

    scheduler: Scheduler
    clock: TokenClock
    metrics: SimMetrics
    model: str
    stall_s: float


@dataclass(frozen=True, slots=True)
class Identity:
    request_id: str
    created: int


class Generation:
    """Token deadlines, token text and per-token metrics of one sequence."""

    def __init__(
        self,
        backend: Backend,
        plan: RequestPlan,
        faults: FaultPlan,
        t_recv: float,
        t_admit: float,
        jitter: random.Random | None,
    ) -> None:
        self.backend, self.plan, self.faults = backend, plan, faults
        self.t_recv, self.t_admit = t_recv, t_admit
        self._jitter = jitter
        self.fault_at = plan.n_out // 2 if faults != fk.NO_FAULTS else -1
        self.deadline = t_admit + backend.clock.first_token_delay(plan.prompt_tokens, jitter)
        if faults.stall and self.fault_at == 0:
            self.deadline += backend.stall_s
        self.intended_ttft_s = self.deadline - t_recv
        self.t_first: float | None = None
        self.t_last: float | None = None
        backend.metrics.queue_time.observe(t_admit - t_recv)

    def token_json(self, index: int) -> str:
        if self.plan.answer_tokens is None:
            return generated_token_json(self.plan.word_start, index)
        return dumps(self.plan.answer_tokens[index])

    def emitted(self, index: int, now: float) -> None:
        """Record token ``index`` as written at ``now`` and schedule the next one."""
        m = self.backend.metrics
        if self.t_last is None:
            self.t_first = now
            m.ttft.observe(now - self.t_recv)
            m.prompt_tokens.inc(self.plan.prompt_tokens)
        else:
            m.itl.observe(now - self.t_last)
        m.generation_tokens.inc()
        self.t_last = now
        self.deadline += self.backend.clock.step(self._jitter)
        if self.faults.stall and index + 1 == self.fault_at:
            self.deadline += self.backend.stall_s

    def finished(self) -> None:
        m = self.backend.metrics
        m.e2e.observe((self.t_last or self.t_recv) - self.t_recv)
        m.request_success[self.plan.finish_reason].inc()

    def truth_headers(self) -> dict[str, str]:
        return {
            "x-sim-queue-ms": f"{(self.t_admit - self.t_recv) * 1000:.3f}",
            "x-sim-ttft-ms": f"{self.intended_ttft_s * 1000:.3f}",
        }

    def truth(self) -> dict[str, float | str]:
        def ms(t: float | None) -> float:
            return round(((t if t is not None else self.t_recv) - self.t_recv) * 1000, 3)

        truth: dict[str, float | str] = {
            "ttft_ms": ms(self.t_first), "e2e_ms": ms(self.t_last), "queue_ms": ms(self.t_admit)
        }  # fmt: skip
        if CLOCK_ID is not None and self.t_first is not None and self.t_last is not None:
            truth |= {"clock": CLOCK_ID, "first_token_at": self.t_first, "last_token_at": self.t_last}
        return truth


async def stream_response(request: web.Request, gen: Generation, ident: Identity) -> web.StreamResponse:
    plan, faults, loop = gen.plan, gen.faults, asyncio.get_running_loop()
    enc = ChunkEncoder(plan.api, ident.request_id, ident.created, gen.backend.model)
    resp = web.StreamResponse(headers={"content-type": SSE_CONTENT_TYPE, **gen.truth_headers()})
    await resp.prepare(request)
    last = plan.n_out - 1
    for i in range(plan.n_out):
        await sleep_until(gen.deadline)
        if i == gen.fault_at:
            if faults.malformed:
                await resp.write(enc.malformed())
            if faults.ending is not None:
                return await _end_stream_early(request, resp, faults.ending)
        token = gen.token_json(i)
        data = enc.token(token) if i < last else enc.last_token(token, plan.finish_reason)
        if i == 0:
            data = enc.role + data
        now = loop.time()
        await resp.write(data)
        gen.emitted(i, now)
    tail = enc.usage(plan.prompt_tokens, plan.n_out, gen.truth()) if plan.include_usage else b""
    await resp.write(tail + DONE)
    await resp.write_eof()
    gen.finished()
    return resp


async def json_response(request: web.Request, gen: Generation, ident: Identity) -> web.StreamResponse:
    """The whole answer as one JSON body once the last token is due.

    Stream faults apply to the body: ``truncate`` promises the full Content-Length and sends half,
    ``malformed`` sends the first half of the JSON as a complete body, ``reset`` aborts the
    connection, ``midstream_error`` answers HTTP 500.
    """
    plan, loop = gen.plan, asyncio.get_running_loop()
    for i in range(plan.n_out):
        await sleep_until(gen.deadline)
        gen.emitted(i, loop.time())
    ending = gen.faults.ending
    if ending == fk.MIDSTREAM_ERROR:
        body = error_body("simulated engine failure", "InternalServerError", 500)
        return web.json_response(body, status=500, dumps=dumps)
    if ending == fk.RESET:
        reset_connection(request)
        return web.Response()
    if plan.answer_tokens is not None:
        text = "".join(plan.answer_tokens)
    else:
        # Generated tokens are plain ASCII words: the text is the JSON literal without its quotes.
        text = "".join(gen.token_json(i)[1:-1] for i in range(plan.n_out))
    truth = gen.truth()
    payload = dumps(
        full_response(
            plan.api,
            ident.request_id,
            ident.created,
            gen.backend.model,
            text,
            plan.finish_reason,
            plan.prompt_tokens,
            plan.n_out,
            truth,
        )
    ).encode()
    headers = {
        "content-type": "application/json",
        **gen.truth_headers(),
        "x-sim-e2e-ms": f"{truth['e2e_ms']:.3f}",
    }
    if ending == fk.TRUNCATE:
        resp = web.StreamResponse(headers=headers)
        resp.content_length = len(payload)
        await resp.prepare(request)
        await resp.write(payload[: len(payload) // 2])
        if request.transport is not None:
            request.transport.close()
        return resp
    if gen.faults.malformed:
        payload = payload[: len(payload) // 2]
    gen.finished()
    return web.Response(body=payload, headers=headers)


async def _end_stream_early(
    request: web.Request, resp: web.StreamResponse, ending: str
) -> web.StreamResponse:
    if ending == fk.RESET:
        reset_connection(request)
    elif ending == fk.MIDSTREAM_ERROR:
        await resp.write(MIDSTREAM_ERROR)
        await resp.write_eof()
    else:
        await resp.write_eof()  # a clean end of the body with no finish_reason and no [DONE]
    return resp


def reset_connection(request: web.Request) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), as a crashed server or proxy would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
