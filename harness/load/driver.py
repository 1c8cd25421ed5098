"""The in-process driver: runs Locust headless in this process and stops it cleanly.

It owns the run's clock: when the duration is over, ``max_requests`` have been sent, or a
SIGINT/SIGTERM arrives, it stops issuing requests, lets in-flight requests finish within
a grace period, and records the rest as cancelled. Records are flushed every tick.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent
from locust.env import Environment

from harness.load import context
from harness.load.context import LoadContext
from harness.load.shapes import ProfileShape, UsersAt
from harness.load.users import ArrivalUser, LLMUser

TICK_S = 0.5


@dataclass
class DriverResult:
    started_at: float
    ended_at: float
    interrupted_by: str | None = None  # "SIGINT" / "SIGTERM" when a signal cut the run short
    stop_reason: str = "duration"
    cancelled_in_flight: int = 0


def run_load(
    ctx: LoadContext,
    users_at: UsersAt,
    *,
    spawn_rate: float | None = None,
    grace_s: float = 10.0,
    on_tick: Callable[[float], None] | None = None,
    users_gauge: Callable[[int], None] | None = None,
) -> DriverResult:
    """Run the load described by ``ctx`` and ``users_at``; returns when everything is stopped."""
    user_class = ArrivalUser if ctx.rate_rps is not None else LLMUser
    env = Environment(
        user_classes=[user_class],
        shape_class=ProfileShape(users_at, ctx.duration_s, spawn_rate),
        stop_timeout=grace_s,
        host=ctx.base_url,
    )
    runner = env.create_local_runner()
    context.install(ctx)
    result = DriverResult(started_at=time.time(), ended_at=0.0)
    signals: list[str] = []

    def interrupt(name: str) -> None:
        signals.append(name)
        ctx.stopping = True

    handlers = [
        gevent.signal_handler(signal.SIGINT, interrupt, "SIGINT"),
        gevent.signal_handler(signal.SIGTERM, interrupt, "SIGTERM"),
    ]
    try:
        ctx.run_start = result.started_at
        runner.start_shape()
        while True:
            gevent.sleep(TICK_S)
            now = time.time()
            if on_tick is not None:
                on_tick(now - ctx.run_start)
            if users_gauge is not None:
                users_gauge(runner.user_count)
            if signals:
                result.stop_reason = "interrupted"
                break
            if now - ctx.run_start >= ctx.duration_s:
                break
            if ctx.max_requests is not None and ctx.issued >= ctx.max_requests and ctx.in_flight == 0:
                result.stop_reason = "max_requests"
                break
        ctx.stopping = True
        _drain(ctx, grace_s, signals, on_tick)
        result.cancelled_in_flight = ctx.in_flight
    finally:
        for h in handlers:
            h.cancel()
        runner.quit()
        ctx.pending.kill(block=True, timeout=5)
        result.ended_at = time.time()
        if on_tick is not None:
            on_tick(result.ended_at - ctx.run_start)
    result.interrupted_by = signals[0] if signals else None
    return result


def _drain(
    ctx: LoadContext,
    grace_s: float,
    signals: list[str],
    on_tick: Callable[[float], None] | None,
) -> None:
    """Wait for in-flight requests up to ``grace_s`` (a second signal cuts it short)."""
    seen = len(signals)
    deadline = time.time() + grace_s
    while ctx.in_flight > 0 and time.time() < deadline and len(signals) == seen:
        gevent.sleep(0.05)
        if on_tick is not None:
            on_tick(time.time() - ctx.run_start)
