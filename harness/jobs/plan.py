"""What a scenario asks of the load driver: users over time, stages, and the load context.

Shared by the load-test job, the worker of a distributed run and the plain locustfile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from harness.config.load import (
    ConcurrencyProfile,
    RampProfile,
    RateProfile,
    SpikeProfile,
    StepsProfile,
    SweepProfile,
)
from harness.config.scenario import Scenario
from harness.jobs.endpoint import Target

if TYPE_CHECKING:
    from harness.jobs.staged import StagePlanner
from harness.load import stages
from harness.load.context import LoadContext, Retries, Timeouts
from harness.load.shapes import UsersAt
from harness.load.stages import Stage
from harness.protocol.tokenizer import TokenCounter
from harness.records.record import RequestRecord
from harness.workload import build_workload


def users_at(scenario: Scenario) -> UsersAt:
    """The closed-loop users-over-time function of a scenario's load profile."""
    p = scenario.load.profile
    if isinstance(p, ConcurrencyProfile):
        return UsersAt("concurrency", users=p.users)
    if isinstance(p, RampProfile):
        return UsersAt("ramp", start_users=p.start_users, end_users=p.end_users, ramp_s=p.ramp_s)
    if isinstance(p, StepsProfile):
        return UsersAt("steps", steps=tuple((s.users, s.duration_s) for s in p.steps))
    if isinstance(p, SpikeProfile):
        return UsersAt(
            "spike",
            base_users=p.base_users,
            spike_users=p.spike_users,
            spike_at_s=p.spike_at_s,
            spike_duration_s=p.spike_duration_s,
        )
    return UsersAt("rate")


def stages_of(scenario: Scenario) -> list[Stage]:
    """The stages of a multi-stage profile (steps, ramp, spike); none for a single load level."""
    load = scenario.load
    p, warmup = load.profile, load.stage_warmup_s
    if isinstance(p, StepsProfile):
        levels = [(s.users, s.duration_s) for s in p.steps]
        plan = stages.steps(levels, warmup)
        return [
            replace(stage, warmup_s=step.warmup_s) if step.warmup_s is not None else stage
            for stage, step in zip(plan, p.steps, strict=True)
        ]
    if isinstance(p, RampProfile):
        return stages.ramp(p.start_users, p.end_users, p.ramp_s, load.duration_s, p.segments, warmup)
    if isinstance(p, SpikeProfile):
        return stages.spike(
            p.base_users, p.spike_users, p.spike_at_s, p.spike_duration_s, load.duration_s, warmup
        )
    return []


def describe_profile(scenario: Scenario) -> str:
    return json.dumps(scenario.load.profile.model_dump(mode="json"), sort_keys=True)


def build_context(
    scenario: Scenario, target: Target, sinks: list[Callable[[RequestRecord], None]], seed_offset: int = 0
) -> LoadContext:
    """The load context of one process; workers of a distributed run use their own ``seed_offset``."""
    ep = scenario.endpoint
    workload = build_workload(scenario)
    load = scenario.load
    profile = load.profile
    ctx = LoadContext(
        scenario=scenario.name,
        base_url=target.base_url,
        api=ep.api if ep is not None else "chat",
        model=target.model or "",
        items=workload.items(scenario.workload.seed + seed_offset),
        params=workload.sampling_params(),
        headers=target.headers,
        stream=ep.stream if ep is not None else True,
        verify_tls=ep.verify_tls if ep is not None else True,
        duration_s=float(load.duration_s),
        warmup_s=float(load.warmup_s),
        cooldown_s=float(load.cooldown_s),
        max_requests=load.max_requests,
        stages=stages_of(scenario),
        sinks=sinks,
        seed=scenario.workload.seed + seed_offset,
    )
    if ep is not None:
        ctx.include_usage = ep.include_usage
        ctx.tokens = TokenCounter(ep.tokenizer) if ep.tokenizer is not None else None
        ctx.timeouts = Timeouts(ep.timeouts.connect_s, ep.timeouts.first_token_s, ep.timeouts.total_s)
        r = ep.retries
        ctx.retries = Retries(
            r.max_attempts, r.honor_retry_after, r.backoff_s, r.connect_backoff, r.connect_backoff_max_s
        )
    if isinstance(profile, RateProfile):
        ctx.rate_rps = float(profile.rate_rps)
        ctx.arrival = profile.arrival
        ctx.max_in_flight = profile.max_in_flight
    return ctx


def planner_for(scenario: Scenario) -> StagePlanner | None:
    """The stage planner a scenario's profile needs (a sweep), or None for a run of one shape."""
    profile = scenario.load.profile
    if isinstance(profile, SweepProfile):
        from harness.capacity.sweep import SweepPlanner

        return SweepPlanner(profile)
    return None
