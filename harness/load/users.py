"""Locust user classes: closed-loop users and the open-loop arrival dispatcher.

They run under the in-process driver (``slm-harness run``) and under the plain
``locust`` command (see ``harness/load/locustfile.py``) alike.
"""

from __future__ import annotations

import time

import gevent
from locust import constant, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser

from harness.load import context
from harness.load.client import perform
from harness.load.context import LoadContext
from harness.load.schedule import arrivals
from harness.protocol import PromptItem
from harness.protocol import errors as kinds

RETRYABLE = frozenset(
    {kinds.CONNECT, kinds.TIMEOUT_CONNECT, kinds.HTTP_429, kinds.HTTP_5XX, kinds.RESET, kinds.TRUNCATED}
)
IDLE_POLL_S = 0.05


def send_with_retries(
    session: FastHttpSession, ctx: LoadContext, item: PromptItem, intended_at: float | None
) -> None:
    """Send one prompt; retry retryable faults when the scenario allows it. Every attempt is recorded."""
    attempts = max(ctx.retries.max_attempts, 1)
    for attempt in range(1, attempts + 1):
        outcome = perform(session, ctx, item, intended_at if attempt == 1 else None)
        ctx.emit(outcome.record)
        rec = outcome.record
        if rec.error_kind == kinds.CANCELLED:
            raise gevent.GreenletExit  # recorded; now let the stop that cancelled it proceed
        if rec.ok or attempt == attempts or rec.error_kind not in RETRYABLE or ctx.stopping:
            return
        delay = ctx.retries.backoff_s * 2 ** (attempt - 1)
        if ctx.retries.honor_retry_after and outcome.retry_after_s is not None:
            delay = outcome.retry_after_s
        gevent.sleep(delay)


class _HarnessUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def __init__(self, environment) -> None:
        ctx = context.wait_current()
        # FastHttpUser reads these attributes in its __init__.
        self.host = ctx.base_url
        self.connection_timeout = ctx.timeouts.connect_s
        self.network_timeout = ctx.timeouts.total_s
        self.insecure = not ctx.verify_tls
        self.concurrency = self.pool_size(ctx)
        super().__init__(environment)
        self.ctx = ctx

    @staticmethod
    def pool_size(ctx: LoadContext) -> int:
        return 1


class LLMUser(_HarnessUser):
    """Closed loop: each user sends its next request when the previous one is done."""

    abstract = False

    @task
    def generate(self) -> None:
        ctx = self.ctx
        if not ctx.may_send():
            gevent.sleep(IDLE_POLL_S)
            return
        send_with_retries(self.client, ctx, next(ctx.items), None)


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
        end = ctx.run_start + ctx.duration_s
        schedule = arrivals(ctx.run_start, end, ctx.rate_rps or 0.0, ctx.arrival, ctx.seed, ctx.share)
        for intended in schedule:
            if not ctx.may_send():
                break
            delay = intended - time.time()
            if delay > 0:
                gevent.sleep(delay)
            while len(group) >= ctx.max_in_flight:
                gevent.sleep(0.001)
            group.spawn(send_with_retries, self.client, ctx, next(ctx.items), intended)
        group.join()
        while True:  # the schedule is done; idle until the run stops this user
            gevent.sleep(IDLE_POLL_S)
            self.wait()  # where Locust's graceful stop ends a user
