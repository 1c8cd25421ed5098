"""Locust user classes: closed-loop users and the open-loop arrival dispatcher.

They run under the in-process driver (``slm-harness run``) and under the plain
``locust`` command (see ``harness/jobs/locustfile.py``) alike. Each user owns its
connections (``harness.load.http``); Locust's own statistics get every request through
its ``request`` event, so its UI and CSVs stay useful.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import gevent
from locust import User, constant, task

from harness.load import context
from harness.load.client import perform
from harness.load.context import LoadContext
from harness.load.http import ConnectionPool, Origin
from harness.load.schedule import arrivals, replayed
from harness.load.sessions import Label, run_session
from harness.load.targets import Route, TargetPools
from harness.protocol import PromptItem
from harness.protocol import errors as kinds
from harness.records.record import RequestRecord

RETRYABLE = frozenset(
    {kinds.CONNECT, kinds.TIMEOUT_CONNECT, kinds.HTTP_429, kinds.HTTP_5XX, kinds.RESET, kinds.TRUNCATED}
)
CONNECTION_FAILURES = frozenset({kinds.CONNECT, kinds.TIMEOUT_CONNECT})
IDLE_POLL_S = 0.05
FIRST_CONNECT_BACKOFF_S = 0.05
REQUEST_NAME = "generate"


def send_with_retries(
    pool: ConnectionPool,
    ctx: LoadContext,
    item: PromptItem,
    intended_at: float | None,
    events: Any,
    route: Route | None = None,
    pair_id: str | None = None,
    session: Label | None = None,
) -> RequestRecord:
    """Send one prompt (to ``route``, one of several targets); retry retryable faults when the
    scenario allows it. Every attempt is recorded (with the session and turn it belongs to, if
    any); returns the last attempt's record."""
    attempts = max(ctx.retries.max_attempts, 1)
    for attempt in range(1, attempts + 1):
        outcome = perform(pool, ctx, item, intended_at if attempt == 1 else None, route, pair_id, session)
        rec = outcome.record
        ctx.emit(rec)
        if rec.error_kind == kinds.CANCELLED:
            # Recorded; Locust's stats (and its exit code) are not told, since the stop was the
            # harness's own doing. Now let the stop that cancelled it proceed.
            raise gevent.GreenletExit
        _report_to_locust(events, rec)
        if rec.ok or attempt == attempts or rec.error_kind not in RETRYABLE or ctx.stopping:
            return rec
        delay = ctx.retries.backoff_s * 2 ** (attempt - 1)
        if ctx.retries.honor_retry_after and outcome.retry_after_s is not None:
            delay = outcome.retry_after_s
        gevent.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns")


def _report_to_locust(events: Any, rec: RequestRecord) -> None:
    """Locust's own stats see end-to-end latency and the harness's error kinds."""
    failure = None if rec.ok else Exception(f"{rec.error_kind}: {rec.error_detail or ''}".strip())
    events.request.fire(
        request_type="POST",
        name=REQUEST_NAME,
        response_time=(rec.e2e_s or 0.0) * 1000.0,
        response_length=rec.n_out or 0,
        exception=failure,
        context={},
    )


class _HarnessUser(User):
    abstract = True
    wait_time = constant(0)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        ctx = context.wait_current()
        self.ctx = ctx
        origin = Origin.from_url(ctx.base_url, ctx.timeouts.connect_s, ctx.verify_tls)
        self.pool = ConnectionPool(origin, max_idle=self.pool_size(ctx))
        plan = ctx.targets
        self.targets = (
            None if plan is None else TargetPools(ctx, plan, self.pool_size(ctx), send_with_retries)
        )

    @staticmethod
    def pool_size(ctx: LoadContext) -> int:
        return 1

    def on_stop(self) -> None:
        self.pool.close()
        if self.targets is not None:
            self.targets.close()


class LLMUser(_HarnessUser):
    """Closed loop: each user sends its next request when the previous one is done (or, with
    multi-turn conversations, runs its next session when the previous one is done).

    After a failed connection the user waits (doubling from 50 ms up to the configured cap)
    before trying again, so a dead endpoint is not hammered in a tight loop.
    """

    abstract = False

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self._backoff_s = 0.0

    @task
    def generate(self) -> None:
        ctx = self.ctx
        if not ctx.may_start_next():
            gevent.sleep(IDLE_POLL_S)
            return
        events = self.environment.events
        rec: RequestRecord | None
        if ctx.sessions is not None:
            rec = run_session(
                ctx,
                next(ctx.sessions),
                lambda item, label: send_with_retries(self.pool, ctx, item, None, events, session=label),
            )
        elif self.targets is None:
            rec = send_with_retries(self.pool, ctx, next(ctx.items), None, events)
        else:
            rec = self.targets.send(next(ctx.items), events)
        if rec is not None and rec.error_kind in CONNECTION_FAILURES and ctx.retries.connect_backoff:
            cap = ctx.retries.connect_backoff_max_s
            self._backoff_s = min(max(2 * self._backoff_s, FIRST_CONNECT_BACKOFF_S), cap)
            gevent.sleep(self._backoff_s)
        else:
            self._backoff_s = 0.0


class ArrivalUser(_HarnessUser):
    """Open loop: sends on a fixed schedule without waiting for responses.

    Each request runs in its own greenlet, so a slow endpoint never delays the next
    send (no coordinated omission); when the client itself falls behind, the lag
    between intended and actual send time is recorded per request.
    """

    abstract = False

    @staticmethod
    def pool_size(ctx: LoadContext) -> int:
        return ctx.max_in_flight

    @task
    def dispatch(self) -> None:
        ctx = self.ctx
        group = ctx.pending
        events = self.environment.events
        for intended, item in _sends(ctx):
            delay = intended - time.time()
            if delay > 0:
                gevent.sleep(delay)
            if not ctx.may_send():
                break
            while len(group) >= ctx.max_in_flight:
                gevent.sleep(0.001)
            if self.targets is None:
                group.spawn(send_with_retries, self.pool, ctx, item, intended, events)
            else:
                self.targets.spawn(group, item, intended, events)
            gevent.sleep(0)  # the request goes out before the next one is prepared
        group.join()
        while True:  # the schedule is done; idle until the run stops this user
            gevent.sleep(IDLE_POLL_S)
            self.wait()  # where Locust's graceful stop ends a user


def _sends(ctx: LoadContext) -> Iterator[tuple[float, PromptItem]]:
    """Intended send time and prompt of each open-loop request of this worker, before the run's
    end: a trace's own times and prompts, or the rate's arrivals with the next prompts. A trace's
    prompt is built here, before the dispatcher waits for its time."""
    end = ctx.run_start + ctx.duration_s
    if ctx.replay is not None:
        for i, intended in replayed(ctx.run_start, ctx.replay.offsets_s, ctx.share):
            if intended >= end:
                return
            yield intended, ctx.replay.item(i)
        return
    for intended in arrivals(ctx.run_start, end, ctx.rate_rps or 0.0, ctx.arrival, ctx.seed, ctx.share):
        yield intended, next(ctx.items)
