"""One schedule and one prompt sequence sent to several targets (A/B and shadow runs).

A run over several targets keeps one arrival schedule and one prompt iterator; each user
holds a connection pool per target, and each request it draws goes out as:

- ``interleaved`` / ``all``: one copy per target at the same intended time, sharing a
  ``pair_id`` so their answers pair up;
- ``interleaved`` / ``alternate``: one copy to one target drawn by a seeded generator;
- ``shadow``: the primary's request as in a single-target run, and a background copy per
  shadow that never delays it: a mirror that would exceed the shadows' in-flight limit is
  dropped and counted, never queued.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent
import numpy as np
from gevent.pool import Group

from harness.load.http import ConnectionPool, Origin
from harness.protocol import PromptItem
from harness.records.record import RequestRecord

if TYPE_CHECKING:
    from harness.load.context import LoadContext

INTERLEAVED, SHADOW = "interleaved", "shadow"
ALTERNATE = "alternate"


@dataclass(frozen=True, slots=True)
class Route:
    """A target's own part of a request: where it goes, which model, which headers."""

    name: str
    base_url: str
    model: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class TargetPlan:
    """How a run's requests reach its targets; ``routes[0]`` is the primary (shadow mode)."""

    routes: list[Route]
    mode: str = INTERLEAVED
    fanout: str = "all"
    shadow_max_in_flight: int = 256
    seed: int = 0
    # Mutable run state (one process's greenlets): mirrors sent and dropped, peak in flight.
    mirrored: int = 0
    dropped: int = 0
    shadow_in_flight_peak: int = 0
    _pairs: Iterator[int] = field(default_factory=itertools.count)
    _rng: np.random.Generator | None = None

    def next_pair_id(self, worker: str) -> str:
        return f"{worker}-p{next(self._pairs)}"

    def pick(self) -> Route:
        """The target of the next request in ``alternate`` fan-out (seeded, so runs repeat)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self.routes[int(self._rng.integers(len(self.routes)))]

    def stats(self) -> dict[str, Any]:
        return {
            "mirrored": self.mirrored,
            "dropped": self.dropped,
            "shadow_in_flight_peak": self.shadow_in_flight_peak,
        }


# send_with_retries(pool, ctx, item, intended_at, events, route, pair_id) -> its last record.
Send = Callable[..., RequestRecord]


class TargetPools:
    """One user's connections to every target, and how it sends one prompt to them."""

    def __init__(self, ctx: LoadContext, plan: TargetPlan, pool_size: int, send: Send) -> None:
        self.ctx, self.plan, self._send = ctx, plan, send
        self.pools = {
            route.name: ConnectionPool(
                Origin.from_url(route.base_url, ctx.timeouts.connect_s, ctx.verify_tls), max_idle=pool_size
            )
            for route in plan.routes
        }
        # Shadow mirrors and closed-loop fan-out copies, stopped with the user.
        self.running = Group()

    def spawn(self, group: Group, item: PromptItem, intended_at: float, events: Any) -> None:
        """Open loop: start the request's copies in their own greenlets and return at once."""
        plan = self.plan
        if plan.mode == SHADOW:
            pair_id = plan.next_pair_id(self.ctx.worker)
            group.spawn(self._one, plan.routes[0], item, intended_at, events, pair_id)
            self._mirror(item, intended_at, events, pair_id)
        elif plan.fanout == ALTERNATE:
            group.spawn(self._one, plan.pick(), item, intended_at, events, None)
        else:
            pair_id = plan.next_pair_id(self.ctx.worker)
            for route in plan.routes:
                group.spawn(self._one, route, item, intended_at, events, pair_id)

    def send(self, item: PromptItem, events: Any) -> RequestRecord:
        """Closed loop: send the request and wait for what the user waits for; returns the
        primary's (or first target's) record."""
        plan = self.plan
        if plan.mode == SHADOW:
            pair_id = plan.next_pair_id(self.ctx.worker)
            self._mirror(item, None, events, pair_id)
            return self._one(plan.routes[0], item, None, events, pair_id)
        if plan.fanout == ALTERNATE:
            return self._one(plan.pick(), item, None, events, None)
        pair_id = plan.next_pair_id(self.ctx.worker)
        copies = [self.running.spawn(self._one, route, item, None, events, pair_id) for route in plan.routes]
        gevent.joinall(copies, raise_error=True)
        return copies[0].value

    def _mirror(self, item: PromptItem, intended_at: float | None, events: Any, pair_id: str) -> None:
        plan = self.plan
        for route in plan.routes[1:]:
            if len(self.running) >= plan.shadow_max_in_flight:
                plan.dropped += 1
                continue
            plan.mirrored += 1
            self.running.spawn(self._one, route, item, intended_at, events, pair_id)
            plan.shadow_in_flight_peak = max(plan.shadow_in_flight_peak, len(self.running))

    def _one(
        self, route: Route, item: PromptItem, intended_at: float | None, events: Any, pair_id: str | None
    ) -> RequestRecord:
        return self._send(self.pools[route.name], self.ctx, item, intended_at, events, route, pair_id)

    def close(self) -> None:
        """Stop the mirrors still running (recorded as cancelled) and close every connection."""
        self.running.kill(block=True, timeout=5)
        for pool in self.pools.values():
            pool.close()
