"""Closed-loop load profiles as Locust load shapes: users over time."""

from __future__ import annotations

from dataclasses import dataclass

from locust import LoadTestShape

# Users are started quickly: a profile's ramp is part of the profile, not of spawning.
DEFAULT_SPAWN_RATE = 100.0


@dataclass(frozen=True)
class UsersAt:
    """Users as a function of elapsed seconds, for each profile kind."""

    kind: str
    users: int = 1
    start_users: int = 1
    end_users: int = 1
    ramp_s: float = 0.0
    steps: tuple[tuple[int, float], ...] = ()
    base_users: int = 1
    spike_users: int = 1
    spike_at_s: float = 0.0
    spike_duration_s: float = 0.0

    def __call__(self, t: float) -> int:
        if self.kind == "ramp":
            if self.ramp_s <= 0 or t >= self.ramp_s:
                return self.end_users
            return round(self.start_users + (self.end_users - self.start_users) * t / self.ramp_s)
        if self.kind == "steps":
            elapsed = 0.0
            for users, duration in self.steps:
                elapsed += duration
                if t < elapsed:
                    return users
            return self.steps[-1][0] if self.steps else 0
        if self.kind == "spike":
            in_spike = self.spike_at_s <= t < self.spike_at_s + self.spike_duration_s
            return self.spike_users if in_spike else self.base_users
        return self.users


class ProfileShape(LoadTestShape):
    """Runs ``users_at`` for ``duration_s``.

    Under the harness driver the driver ends the run (it drains in-flight requests first), so
    the shape keeps its last user count; under the plain ``locust`` command the shape ends it.
    """

    def __init__(
        self, users_at: UsersAt, duration_s: float, spawn_rate: float | None = None, ends_run: bool = True
    ) -> None:
        super().__init__()
        self.users_at = users_at
        self.duration_s = duration_s
        self.spawn_rate = spawn_rate or DEFAULT_SPAWN_RATE
        self.ends_run = ends_run

    def tick(self) -> tuple[int, float] | None:
        t = self.get_run_time()
        if t >= self.duration_s and self.ends_run:
            return None
        if self.users_at.kind == "rate":
            # One arrival dispatcher per load generator: the master spreads them one per worker.
            return max(getattr(self.runner, "worker_count", 1), 1), self.spawn_rate
        return max(self.users_at(t), 0), self.spawn_rate
