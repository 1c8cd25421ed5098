"""Load stages: named stretches of a run with one load level each.

A stage is a label on the requests sent during it (``RequestRecord.stage``); its results are
the run's summary function applied to those records over the stage's own window. A profile
with steps, a ramp or a spike is one continuous run whose stages are stretches of its clock; a
sweep or a capacity search runs its stages one after another (see ``harness.jobs.staged``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """``start_s``/``end_s`` count from the run's start; the first ``warmup_s`` are not measured.

    ``users`` (closed loop) or ``rate_rps`` (open loop) is the load the stage was planned at."""

    name: str
    start_s: float
    end_s: float
    users: float | None = None
    rate_rps: float | None = None
    warmup_s: float = 0.0

    def target(self) -> dict[str, float]:
        if self.rate_rps is not None:
            return {"rate_rps": float(self.rate_rps)}
        return {"users": float(self.users)} if self.users is not None else {}


def stage_at(stages: list[Stage], elapsed_s: float) -> str | None:
    """The name of the stage ``elapsed_s`` seconds into the run falls in (None outside all)."""
    for stage in stages:
        if stage.start_s <= elapsed_s < stage.end_s:
            return stage.name
    return stages[-1].name if stages and elapsed_s >= stages[-1].end_s else None


def steps(levels: list[tuple[int, float]], warmup_s: float = 0.0) -> list[Stage]:
    """One stage per (users, duration) step, back to back."""
    stages, start = [], 0.0
    for i, (users, duration) in enumerate(levels, start=1):
        stages.append(Stage(f"step{i}", start, start + duration, users=users, warmup_s=warmup_s))
        start += duration
    return stages


def ramp(
    start_users: int, end_users: int, ramp_s: float, duration_s: float, segments: int, warmup_s: float = 0.0
) -> list[Stage]:
    """The ramp cut into ``segments`` equal stretches (users at each one's middle), then the hold."""
    stages = []
    width = ramp_s / segments
    for i in range(segments):
        middle = (i + 0.5) * width
        users = start_users + (end_users - start_users) * middle / ramp_s
        stages.append(
            Stage(f"ramp{i + 1}", i * width, (i + 1) * width, users=round(users, 1), warmup_s=warmup_s)
        )
    if duration_s > ramp_s:
        stages.append(Stage("hold", ramp_s, duration_s, users=end_users, warmup_s=warmup_s))
    return stages


def spike(
    base_users: int, spike_users: int, at_s: float, length_s: float, duration_s: float, warmup_s: float = 0.0
) -> list[Stage]:
    """Before, during and after the spike (a stretch of no length is left out)."""
    parts = [
        Stage("before", 0.0, at_s, users=base_users, warmup_s=warmup_s),
        Stage("spike", at_s, at_s + length_s, users=spike_users, warmup_s=warmup_s),
        Stage("after", at_s + length_s, duration_s, users=base_users, warmup_s=warmup_s),
    ]
    return [stage for stage in parts if stage.end_s > stage.start_s]
