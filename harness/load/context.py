"""What the Locust users of a run need to know, set once before the run starts.

Locust instantiates user classes itself, so the run's settings live in one module-level
``LoadContext`` that both the in-process driver and a plain ``locust -f`` run install.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import gevent
from gevent.pool import Group

from harness.load.stages import Stage, stage_at
from harness.load.targets import TargetPlan
from harness.protocol import PromptItem, SamplingParams
from harness.protocol.tokenizer import TokenCounter
from harness.records.record import PHASE_COOLDOWN, PHASE_MEASURE, PHASE_WARMUP, RequestRecord
from harness.workload.conversations import Conversation
from harness.workload.workload import Replay

RecordSink = Callable[[RequestRecord], None]


@dataclass
class Timeouts:
    connect_s: float = 10.0
    first_token_s: float = 60.0
    total_s: float = 600.0


@dataclass
class Retries:
    max_attempts: int = 1
    honor_retry_after: bool = False
    backoff_s: float = 0.5
    # Closed-loop users wait after a failed connection (doubling up to the cap) instead of
    # hammering a dead endpoint; any answer resets the wait.
    connect_backoff: bool = True
    connect_backoff_max_s: float = 2.0


@dataclass
class LoadContext:
    scenario: str
    base_url: str
    api: str
    model: str
    items: Iterator[PromptItem]
    params: SamplingParams
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = True
    include_usage: bool = True
    tokens: TokenCounter | None = None  # the endpoint's tokenizer, when the scenario names one
    verify_tls: bool = True
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: Retries = field(default_factory=Retries)
    duration_s: float = 60.0
    warmup_s: float = 0.0
    cooldown_s: float = 0.0
    max_requests: int | None = None
    worker: str = "local"
    # Dimensions every record of this context carries (see RequestRecord); with ``stages`` the
    # stage is the one the request was sent (open loop: scheduled) in.
    stage: str | None = None
    stages: list[Stage] = field(default_factory=list)
    target: str | None = None
    # Several targets (A/B, shadow): how each request reaches them; None for one endpoint.
    targets: TargetPlan | None = None
    # Open loop (rate profile; a trace replay's mean rate): None means closed loop.
    rate_rps: float | None = None
    arrival: str = "constant"
    max_in_flight: int = 1000
    # Trace replay (open loop): prompts with send times of their own instead of ``rate_rps``.
    replay: Replay | None = None
    # Multi-turn sessions (closed loop): each user runs these conversations one after another.
    sessions: Iterator[Conversation] | None = None
    seed: int = 0
    # This process's share of a distributed run (index among workers, worker count).
    worker_index: int = 0
    worker_count: int = 1
    sinks: list[RecordSink] = field(default_factory=list)
    # Mutable run state, touched only from greenlets of one process.
    run_start: float = 0.0  # epoch seconds when load began
    stopping: bool = False
    in_flight: int = 0
    active_users: int = 0
    issued: int = 0
    # Greenlets of open-loop requests, so the driver can cancel what outlives the grace period.
    pending: Group = field(default_factory=Group)
    _ids: Iterator[int] = field(default_factory=itertools.count)
    _session_ids: Iterator[int] = field(default_factory=itertools.count)

    def stage_of(self, at: float) -> str | None:
        return stage_at(self.stages, at - self.run_start) if self.stages else self.stage

    def phase_of(self, at: float) -> str:
        """The phase of a request sent (or, open loop, scheduled) at ``at``."""
        elapsed = at - self.run_start
        if elapsed < self.warmup_s:
            return PHASE_WARMUP
        if elapsed >= self.duration_s - self.cooldown_s:
            return PHASE_COOLDOWN
        return PHASE_MEASURE

    def window(self) -> tuple[float, float]:
        """The measured window in epoch seconds."""
        return self.run_start + self.warmup_s, self.run_start + self.duration_s - self.cooldown_s

    def next_request_id(self) -> str:
        return f"{self.worker}-{next(self._ids)}"

    def next_session_id(self) -> str:
        return f"{self.worker}-s{next(self._session_ids)}"

    def may_send(self) -> bool:
        """False once the run is stopping or max_requests have been issued."""
        if self.stopping:
            return False
        return self.max_requests is None or self.issued < self.max_requests

    def may_start_next(self) -> bool:
        """Closed loop: ``may_send`` and the duration not over. The clock is checked here, not
        only at the driver's tick, so no user starts a request after the run's end."""
        return self.may_send() and time.time() < self.run_start + self.duration_s

    def share(self) -> tuple[int, int]:
        return self.worker_index, self.worker_count

    def emit(self, record: RequestRecord) -> None:
        for sink in self.sinks:
            sink(record)


_current: LoadContext | None = None


def install(ctx: LoadContext) -> None:
    global _current
    _current = ctx


def wait_current(timeout_s: float = 30.0) -> LoadContext:
    """The installed context; a worker may be asked to spawn users just before its setup arrives."""
    deadline = time.monotonic() + timeout_s
    while _current is None and time.monotonic() < deadline:
        gevent.sleep(0.05)
    return current()


def current() -> LoadContext:
    if _current is None:
        raise RuntimeError(
            "no load context installed: run through `slm-harness run` or the harness locustfile"
        )
    return _current
