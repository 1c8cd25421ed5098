"""Stages run one after another, each a load level chosen from the results of the ones before.

A sweep or a capacity search is a planner: it proposes the next stage (closed-loop users or an
open-loop rate), reads that stage's summary — the run's summary function over the stage's
records and window — and proposes the next, until it has its answer. Every stage drains its
requests before the next starts, so one stage's queue never leaks into the next one's numbers.
All stages write to the run's one record store, labelled with their stage name.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import pandas as pd

from harness.analysis.meta import RunMeta, StageWindow
from harness.analysis.summary import summarize
from harness.config.scenario import Scenario
from harness.jobs.endpoint import Target
from harness.jobs.plan import build_context
from harness.load.context import LoadContext
from harness.load.driver import DriverResult, run_load
from harness.load.shapes import UsersAt
from harness.records.record import RequestRecord


@dataclass(frozen=True)
class StageSpec:
    """One stage to run: ``users`` (closed loop) or ``rate_rps`` (open loop), for at least
    ``min_s`` and at most ``max_s`` seconds (it stops in between once the planner has decided),
    its first ``warmup_s`` not measured."""

    name: str
    users: int | None = None
    rate_rps: float | None = None
    min_s: float = 10.0
    max_s: float | None = None
    warmup_s: float = 0.0
    arrival: str = "poisson"
    max_in_flight: int = 1000

    def target(self) -> dict[str, float]:
        if self.rate_rps is not None:
            return {"rate_rps": float(self.rate_rps)}
        return {"users": float(self.users or 0)}


class StagePlanner(Protocol):
    """Proposes stages and reads their summaries; ``block`` is its answer in the run's summary."""

    name: str

    def next_stage(self) -> StageSpec | None: ...

    def decided(self, spec: StageSpec, summary: dict[str, Any]) -> bool: ...

    def observe(self, spec: StageSpec, summary: dict[str, Any]) -> None: ...

    def block(self, summary: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class StagedResult:
    driver: DriverResult
    windows: list[StageWindow] = field(default_factory=list)


def run_stages(
    planner: StagePlanner,
    scenario: Scenario,
    target: Target,
    sinks: list[Callable[[RequestRecord], None]],
    meta: RunMeta,
    *,
    grace_s: float,
    on_tick: Callable[[float], None] | None = None,
) -> StagedResult:
    """Run the planner's stages in order; ``meta`` carries the run's SLOs for stage summaries."""
    started = time.time()
    result = StagedResult(DriverResult(started_at=started, ended_at=started, stop_reason="planned"))
    index = 0
    while (spec := planner.next_stage()) is not None:
        stage_records: list[RequestRecord] = []
        # Each stage draws its own arrivals and prompt order: one seed for all would replay the
        # same burst at the start of every stage and bias every probe the same way.
        index += 1
        ctx = build_context(scenario, target, [*sinks, stage_records.append], seed_offset=1000 * index)
        driver = _run_stage(planner, spec, ctx, stage_records, meta, grace_s, on_tick)
        end = driver.stopped_sending_at or driver.ended_at
        window = StageWindow(spec.name, driver.started_at, end, spec.warmup_s, spec.target())
        result.windows.append(window)
        result.driver.notices.extend(driver.notices)
        result.driver.cancelled_in_flight += driver.cancelled_in_flight
        result.driver.ended_at = driver.ended_at
        if driver.interrupted_by:
            result.driver.interrupted_by = driver.interrupted_by
            result.driver.stop_reason = "interrupted"
            break
        planner.observe(spec, stage_summary(stage_records, meta, window))
    return result


def _run_stage(
    planner: StagePlanner,
    spec: StageSpec,
    ctx: LoadContext,
    records: list[RequestRecord],
    meta: RunMeta,
    grace_s: float,
    on_tick: Callable[[float], None] | None,
) -> DriverResult:
    ctx.stage, ctx.stages = spec.name, []
    ctx.duration_s = spec.max_s or spec.min_s
    ctx.warmup_s = ctx.cooldown_s = 0.0
    ctx.max_requests = None
    if spec.rate_rps is not None:
        ctx.rate_rps, users = spec.rate_rps, UsersAt("rate")
        ctx.arrival, ctx.max_in_flight = spec.arrival, spec.max_in_flight
    else:
        ctx.rate_rps, users = None, UsersAt("concurrency", users=spec.users or 1)

    def stop_when(elapsed: float) -> bool:
        if elapsed < spec.min_s:
            return False
        window = StageWindow(spec.name, ctx.run_start, ctx.run_start + elapsed, spec.warmup_s, spec.target())
        return planner.decided(spec, stage_summary(records, meta, window))

    return run_load(ctx, users, grace_s=grace_s, on_tick=on_tick, stop_when=stop_when)


def stage_summary(records: list[RequestRecord], meta: RunMeta, window: StageWindow) -> dict[str, Any]:
    """One stage's summary block, as the run's final summary will show it."""
    frame = pd.DataFrame([r.to_row() for r in records])
    stage_meta = replace(meta, window_start=window.start, window_end=window.end, stages=[window], extra={})
    return summarize(frame, stage_meta)["stages"][0]
