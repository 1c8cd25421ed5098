"""The in-process driver: runs Locust headless in this process and stops it cleanly.

It owns the run's clock: when the duration is over, ``max_requests`` have been sent, or a
SIGINT/SIGTERM arrives, it stops issuing requests, lets in-flight requests finish within
a grace period, and records the rest as cancelled. Records are flushed every tick.

As a Locust master it runs the same clock over a fleet of workers (see ``distributed``):
it waits for the expected workers, sends each the run setup, follows which workers are
lost, and at the end collects every worker's last records before quitting.
"""

from __future__ import annotations

import gc
import logging
import signal
import time
from argparse import Namespace
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner

from harness.load import context, distributed
from harness.load.context import LoadContext
from harness.load.shapes import ProfileShape, UsersAt
from harness.load.users import ArrivalUser, LLMUser

log = logging.getLogger("harness.load")

TICK_S = 0.5
FLUSH_WAIT_S = 15.0


class FleetError(RuntimeError):
    """The expected workers did not connect in time."""


@dataclass
class MasterOptions:
    bind_host: str = "127.0.0.1"
    bind_port: int = 5557
    expect_workers: int = 1
    wait_timeout_s: float = 120.0
    # Sent to every worker as the run setup (scenario text, target URL and model).
    setup: dict[str, Any] = field(default_factory=dict)


@dataclass
class DriverResult:
    started_at: float
    ended_at: float
    interrupted_by: str | None = None  # "SIGINT" / "SIGTERM" when a signal cut the run short
    stopped_sending_at: float | None = None  # when no new request was started any more (then the drain)
    stop_reason: str = "duration"
    cancelled_in_flight: int = 0
    fleet: dict[str, Any] | None = None  # distributed runs: workers seen and lost
    notices: list[str] = field(default_factory=list)


def freeze_startup_objects() -> None:
    """Leave what exists before the load (modules, Locust, the scenario) out of garbage
    collection: a full collection during the load then scans only what the load made, instead of
    stalling every user for tens of milliseconds (seen as first tokens read late)."""
    gc.freeze()


def run_load(
    ctx: LoadContext,
    users_at: UsersAt,
    *,
    spawn_rate: float | None = None,
    grace_s: float = 10.0,
    on_tick: Callable[[float], None] | None = None,
    master: MasterOptions | None = None,
    stop_when: Callable[[float], bool] | None = None,
) -> DriverResult:
    """Run the load described by ``ctx`` and ``users_at``; returns when everything is stopped.

    ``stop_when(elapsed_s)``, asked every tick, ends the run before its duration when True
    (a capacity probe that has decided)."""
    user_class = ArrivalUser if ctx.rate_rps is not None else LLMUser
    env = Environment(
        user_classes=[user_class],
        shape_class=ProfileShape(users_at, ctx.duration_s, spawn_rate, ends_run=False),
        stop_timeout=grace_s,
        host=ctx.base_url,
    )
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
    fleet: _Master | None = None
    runner: Any = None
    try:
        if master is None:
            runner = env.create_local_runner()
        else:
            runner = env.create_master_runner(master.bind_host, master.bind_port)
            fleet = _Master(env, runner, ctx, master, result)
            fleet.wait_for_workers(signals)
        freeze_startup_objects()
        ctx.run_start = result.started_at = time.time()
        if fleet is not None:
            fleet.start()
        runner.start_shape()
        while True:
            gevent.sleep(TICK_S)
            now = time.time()
            ctx.active_users = runner.user_count
            if fleet is not None:
                fleet.watch()
            if on_tick is not None:
                on_tick(now - ctx.run_start)
            if signals:
                result.stop_reason = "interrupted"
                break
            if now - ctx.run_start >= ctx.duration_s:
                break
            if stop_when is not None and stop_when(now - ctx.run_start):
                result.stop_reason = "decided"
                break
            sent = fleet.requests() if fleet is not None else ctx.issued
            if ctx.max_requests is not None and sent >= ctx.max_requests and ctx.in_flight == 0:
                result.stop_reason = "max_requests"
                break
        ctx.stopping = True
        result.stopped_sending_at = min(time.time(), ctx.run_start + ctx.duration_s)
        if fleet is not None:
            # Workers stop sending, finish in flight and hand over their last records; then quit.
            fleet.collect(grace_s + FLUSH_WAIT_S, signals)
        else:
            _drain(ctx, grace_s, signals, on_tick)
        result.cancelled_in_flight = ctx.in_flight
    finally:
        for h in handlers:
            h.cancel()
        if runner is not None:
            runner.quit()
        ctx.pending.kill(block=True, timeout=5)
        result.ended_at = time.time()
        if fleet is not None:
            result.fleet = fleet.fleet.summary(master.expect_workers if master else None)
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


class _Master:
    """The master's side of a distributed run."""

    def __init__(
        self,
        env: Environment,
        runner: MasterRunner,
        ctx: LoadContext,
        options: MasterOptions,
        result: DriverResult,
    ) -> None:
        self.env, self.runner, self.ctx, self.options, self.result = env, runner, ctx, options, result
        self.fleet = distributed.Fleet(sinks=list(ctx.sinks))
        self.started = False
        self.flushed: set[str] = set()
        env.events.worker_connect.add_listener(self._on_connect)
        runner.register_message(distributed.MSG_RECORDS, self._on_records)
        runner.register_message(distributed.MSG_FLUSHED, self._on_flushed)
        # A lost worker's users go to the survivors (Locust reads the flag from its options).
        env.parsed_options = Namespace(enable_rebalancing=True, headless=False)

    def wait_for_workers(self, signals: list[str]) -> None:
        deadline = time.time() + self.options.wait_timeout_s
        want = self.options.expect_workers
        while len(self.runner.clients.ready) < want:
            if signals:
                raise FleetError("interrupted while waiting for workers")
            if time.time() > deadline:
                have = len(self.runner.clients.ready)
                raise FleetError(
                    f"only {have} of {want} workers connected within {self.options.wait_timeout_s:g} s"
                )
            gevent.sleep(0.2)

    def start(self) -> None:
        self.started = True
        for worker_id in list(self.runner.clients.keys()):
            self.fleet.joined(worker_id)
            self._send_setup(worker_id)
        self._send_shares()

    def _setup(self) -> dict[str, Any]:
        return {**self.options.setup, "run_start": self.ctx.run_start, "max_requests": self._per_worker_max()}

    def _per_worker_max(self) -> int | None:
        if self.ctx.max_requests is None:
            return None
        return -(-self.ctx.max_requests // max(self.options.expect_workers, 1))

    def _send_setup(self, worker_id: str) -> None:
        self.runner.send_message(distributed.MSG_SETUP, self._setup(), client_id=worker_id)

    def _send_shares(self) -> None:
        live = self.fleet.live()
        for index, worker_id in enumerate(live):
            self.runner.send_message(
                distributed.MSG_SHARE, {"index": index, "count": len(live)}, client_id=worker_id
            )

    def _on_connect(self, client_id: str, **_: Any) -> None:
        if not self.started:
            return
        # A late joiner gets the setup before Locust hands it users, then every worker's share changes.
        self.fleet.joined(client_id)
        self._send_setup(client_id)
        self._send_shares()
        log.info("worker %s joined at %.1f s", client_id, time.time() - self.ctx.run_start)

    def _on_records(self, environment: Environment, msg: Any) -> None:
        data = msg.data
        self.fleet.receive(msg.node_id, data.get(distributed.REPORT_KEY) or [], data.get(distributed.CPU_KEY))

    def _on_flushed(self, environment: Environment, msg: Any) -> None:
        data = msg.data
        self.fleet.receive(msg.node_id, data.get(distributed.REPORT_KEY) or [], data.get(distributed.CPU_KEY))
        self.flushed.add(msg.node_id)

    def watch(self, stopping: bool = False) -> None:
        """Notice workers that stopped answering: report them, re-split the open-loop rate.

        During the run a worker is lost when Locust marks it missing or drops it; once the
        run is stopping, workers leave Locust's list as they stop, so only missing counts.
        """
        known = set(self.fleet.live())
        missing = {c.id for c in self.runner.clients.missing}
        if not stopping:
            missing |= known - set(self.runner.clients.keys())
        lost = self.fleet.mark_lost(sorted(known & missing))
        for info in lost:
            elapsed = (info.lost_at or 0.0) - self.ctx.run_start
            notice = f"worker {info.worker_id} lost at {elapsed:.1f} s after sending {info.requests} requests"
            log.warning(notice)
            self.result.notices.append(notice)
        if lost:
            self._send_shares()

    def requests(self) -> int:
        return sum(info.requests for info in self.fleet.workers.values())

    def collect(self, timeout_s: float, signals: list[str]) -> None:
        """Ask every live worker for its last records and wait for them."""
        live = set(self.fleet.live())
        for worker_id in live:
            self.runner.send_message(distributed.MSG_FLUSH, {}, client_id=worker_id)
        seen = len(signals)
        deadline = time.time() + timeout_s
        while not live <= self.flushed and time.time() < deadline and len(signals) == seen:
            gevent.sleep(0.1)
            self.watch(stopping=True)
            live = set(self.fleet.live())
        missing = sorted(live - self.flushed)
        if missing:
            self.result.notices.append(f"no final records from workers: {', '.join(missing)}")
