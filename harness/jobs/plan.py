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
    TraceProfile,
)
from harness.config.scenario import Scenario
from harness.jobs.endpoint import Target, max_model_len

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
    load = scenario.load
    profile = load.profile
    tokens = TokenCounter(ep.tokenizer) if ep is not None and ep.tokenizer is not None else None
    workload = build_workload(scenario, tokens, _context_limit(scenario, target))
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
        ctx.tokens = tokens
        ctx.timeouts = Timeouts(ep.timeouts.connect_s, ep.timeouts.first_token_s, ep.timeouts.total_s)
        r = ep.retries
        ctx.retries = Retries(
            r.max_attempts, r.honor_retry_after, r.backoff_s, r.connect_backoff, r.connect_backoff_max_s
        )
    if isinstance(profile, RateProfile):
        ctx.rate_rps = float(profile.rate_rps)
        ctx.arrival = profile.arrival
        ctx.max_in_flight = profile.max_in_flight
    if isinstance(profile, TraceProfile) and workload.replay is not None:
        ctx.replay, ctx.max_in_flight = workload.replay, profile.max_in_flight
        ctx.rate_rps = len(workload.replay.offsets_s) / float(load.duration_s)
    if workload.conversations:
        ctx.sessions = workload.sessions(scenario.workload.seed + seed_offset)
    return ctx


def _context_limit(scenario: Scenario, target: Target) -> int | None:
    """The model's context length, asked of the endpoint only for a trace without a limit of its own."""
    profile = scenario.load.profile
    if not isinstance(profile, TraceProfile) or profile.max_context_tokens is not None or not target.model:
        return None
    ep = scenario.endpoint
    verify, timeout = (ep.verify_tls, ep.timeouts.connect_s) if ep is not None else (True, 10.0)
    return max_model_len(target.base_url, target.model, target.headers, verify, timeout)


def planner_for(scenario: Scenario) -> StagePlanner | None:
    """The stage planner a scenario's profile needs (a sweep), or None for a run of one shape."""
    profile = scenario.load.profile
    if isinstance(profile, SweepProfile):
        from harness.capacity.sweep import SweepPlanner

        return SweepPlanner(profile)
    return None
