"""The load-test job: scenario -> workload -> Locust driver -> records -> summary -> report.

This module composes the stages; each stage's logic lives in its own package. Whatever
happens (a signal, an endpoint fault, a harness error), the records measured so far are
written and a summary is produced, marked partial when the run did not finish.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.analysis.meta import RunMeta
from harness.analysis.summary import summarize
from harness.config import Scenario, scenario_to_yaml
from harness.config.load import ConcurrencyProfile, RampProfile, RateProfile, SpikeProfile, StepsProfile
from harness.jobs.endpoint import (
    Target,
    discover_model,
    embedded_simulator,
    endpoint_headers,
    launched_server,
)
from harness.jobs.logs import attach_run_log
from harness.jobs.services import RunServices
from harness.load.context import LoadContext, Retries, Timeouts
from harness.load.cpu import CpuMonitor
from harness.load.driver import DriverResult, MasterOptions, run_load
from harness.load.progress import ProgressDisplay, ProgressStats
from harness.load.shapes import UsersAt
from harness.protocol.tokenizer import TokenCounter
from harness.records import rundir
from harness.records.record import RequestRecord
from harness.records.store import RecordWriter, read_records
from harness.workload import build_workload

log = logging.getLogger("harness.loadtest")

EXIT_OK = 0
EXIT_INTERRUPTED = 3


@dataclass
class LoadRunOptions:
    out_dir: Path | None = None
    quiet: bool = False
    exporter_port: int | None = None  # overrides the scenario's exporter port; -1 turns it off
    pushgateway_url: str | None = None
    grace_s: float = 10.0
    master: MasterOptions | None = None  # run as the master of a distributed run
    repeat: int | None = None  # index within `run --repeat`: every record is tagged with it


@dataclass
class LoadRunResult:
    run_dir: Path
    summary: dict[str, Any]
    exit_code: int
    notices: list[str] = field(default_factory=list)


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


def describe_profile(scenario: Scenario) -> str:
    return json.dumps(scenario.load.profile.model_dump(mode="json"), sort_keys=True)


@contextlib.contextmanager
def resolve_target(scenario: Scenario, api_key: str | None, run_dir: Path) -> Iterator[Target]:
    """Where requests go: a launched server, the scenario's endpoint, or the embedded simulator."""
    ep = scenario.endpoint
    if scenario.server is not None:
        with launched_server(scenario.server, run_dir) as target:
            if api_key:
                target.headers["Authorization"] = f"Bearer {api_key}"
            yield target
        return
    if ep is None:
        options = scenario.simulator.model_dump() if scenario.simulator is not None else {}
        if scenario.golden is not None:  # the simulator answers the golden items asked during load
            options["golden_files"] = tuple(str(p) for p in scenario.golden.sets)
        with embedded_simulator(options) as target:
            yield target
        return
    yield Target(
        base_url=str(ep.base_url), name=ep.name, model=ep.model, headers=endpoint_headers(ep, api_key)
    )


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
        sinks=sinks,
        seed=scenario.workload.seed + seed_offset,
    )
    if ep is not None:
        ctx.include_usage = ep.include_usage
        ctx.tokens = TokenCounter(ep.tokenizer) if ep.tokenizer is not None else None
        ctx.timeouts = Timeouts(ep.timeouts.connect_s, ep.timeouts.first_token_s, ep.timeouts.total_s)
        ctx.retries = Retries(ep.retries.max_attempts, ep.retries.honor_retry_after, ep.retries.backoff_s)
    if isinstance(profile, RateProfile):
        ctx.rate_rps = float(profile.rate_rps)
        ctx.arrival = profile.arrival
        ctx.max_in_flight = profile.max_in_flight
    return ctx


def run_loadtest(scenario: Scenario, options: LoadRunOptions) -> LoadRunResult:
    """Run one scenario end to end and write its run directory."""
    # Everything a user can get wrong is checked before anything starts.
    api_key = scenario.endpoint.api_key() if scenario.endpoint is not None else None
    run_dir = rundir.new_run_dir(options.out_dir, scenario.name)
    (run_dir / rundir.SCENARIO_FILE).write_text(scenario_to_yaml(scenario))
    detach_log = attach_run_log(run_dir)
    writer = RecordWriter(run_dir)
    stats = ProgressStats()
    cpu = CpuMonitor()
    services = RunServices(scenario, run_dir, options.exporter_port)
    facts = RunFacts(model="", endpoint="simulator", run_start=time.time(), ended_at=0.0)
    driver: DriverResult | None = None
    try:
        with resolve_target(scenario, api_key, run_dir) as target:
            facts.endpoint = target.name
            if not target.model:
                ep = scenario.endpoint
                target.model = discover_model(
                    target.base_url,
                    target.headers,
                    ep.verify_tls if ep is not None else True,
                    ep.timeouts.connect_s if ep is not None else 10.0,
                )
            facts.model = target.model
            services.start(target)
            tag = [functools.partial(_tag_repeat, options.repeat)] if options.repeat is not None else []
            ctx = build_context(scenario, target, [*tag, writer.append, stats, *services.sinks()])
            log.info(
                "run %s: %s against %s (model %s)", run_dir.name, scenario.name, target.base_url, target.model
            )
            with ProgressDisplay(stats, scenario.name, ctx.duration_s, quiet=options.quiet) as progress:

                def on_tick(elapsed: float) -> None:
                    cpu.sample(time.time())
                    writer.flush()
                    services.tick(ctx)
                    progress.tick(elapsed)

                driver = run_load(
                    ctx,
                    users_at(scenario),
                    spawn_rate=scenario.load.spawn_rate,
                    grace_s=options.grace_s,
                    on_tick=on_tick,
                    master=_master(options.master, scenario, target),
                )
            services.stop_samplers()
    except BaseException as e:  # keep every record, then let the error through
        services.close()
        writer.close()
        facts.partial_reason = (
            "interrupted" if isinstance(e, KeyboardInterrupt) else f"{type(e).__name__}: {e}"
        )
        _complete(facts, driver, cpu)
        finish_run(run_dir, scenario, facts, services.summary_sections)
        detach_log()
        raise
    writer.close()
    _complete(facts, driver, cpu)
    summary = finish_run(run_dir, scenario, facts, services.summary_sections)
    services.publish(summary, options.pushgateway_url)
    detach_log()
    notices = [*services.notices, *(driver.notices if driver else [])]
    exit_code = EXIT_INTERRUPTED if driver is not None and driver.interrupted_by else EXIT_OK
    return LoadRunResult(run_dir=run_dir, summary=summary, exit_code=exit_code, notices=notices)


def _tag_repeat(index: int, record: RequestRecord) -> None:
    record.repeat = index


def _master(master: MasterOptions | None, scenario: Scenario, target: Target) -> MasterOptions | None:
    """A distributed run's master options, with the setup every worker receives."""
    if master is not None:
        master.setup = {
            "scenario": scenario_to_yaml(scenario),
            "scenario_name": scenario.name,
            "base_url": target.base_url,
            "model": target.model,
            "endpoint_name": target.name,
        }
    return master


def _complete(facts: RunFacts, driver: DriverResult | None, cpu: CpuMonitor) -> None:
    """Fill in what the driver learned (or, when it never ran, what is known now)."""
    facts.extra["client_cpu"] = cpu.summary()
    if driver is None:
        facts.ended_at = time.time()
        facts.stop_reason = "failed"
        return
    facts.run_start, facts.ended_at = driver.started_at, driver.ended_at
    facts.stop_reason = driver.stop_reason
    facts.fleet = driver.fleet
    if driver.interrupted_by:
        facts.partial_reason = f"interrupted by {driver.interrupted_by}"


@dataclass
class RunFacts:
    """What a finished (or cut-short) run knows beyond its records."""

    model: str
    endpoint: str
    run_start: float
    ended_at: float
    partial_reason: str | None = None
    stop_reason: str = "duration"
    fleet: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def finish_run(
    run_dir: Path,
    scenario: Scenario,
    facts: RunFacts,
    sections: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Summarise what was recorded and write summary.json and report.html.

    ``sections`` adds summary sections computed from the summary so far (GPU, cost).
    """
    records = read_records(run_dir)
    load = scenario.load
    window_start = facts.run_start + load.warmup_s
    window_end = min(facts.run_start + load.duration_s - load.cooldown_s, facts.ended_at)
    meta = RunMeta(
        run_id=run_dir.name,
        scenario=scenario.name,
        model=facts.model,
        endpoint=facts.endpoint,
        api=scenario.endpoint.api if scenario.endpoint is not None else "chat",
        started_at=facts.run_start,
        ended_at=facts.ended_at,
        window_start=window_start,
        window_end=max(window_end, window_start),
        slo_ttft_ms=scenario.slo.ttft_ms if scenario.slo else None,
        slo_tpot_ms=scenario.slo.tpot_ms if scenario.slo else None,
        slo_e2e_ms=scenario.slo.e2e_ms if scenario.slo else None,
        partial=facts.partial_reason is not None,
        partial_reason=facts.partial_reason,
        load_profile=describe_profile(scenario),
        workers=len(facts.fleet["workers"]) if facts.fleet else 1,
        extra={"stop_reason": facts.stop_reason, **facts.extra},
    )
    summary = summarize(records, meta)
    if facts.fleet is not None:
        summary["workers"] = facts.fleet
    if sections is not None:
        summary.update(sections(summary))
    (run_dir / rundir.SUMMARY_FILE).write_text(json.dumps(summary, indent=2, allow_nan=False))
    from harness.report import write_report

    write_report(run_dir)
    return summary


def recover_run(run_dir: Path) -> dict[str, Any]:
    """Summarise a run whose process died (SIGKILL, power loss): records from the journal,
    the clock from the records themselves, marked partial."""
    from harness.config import load_scenario
    from harness.records.store import recover

    recover(run_dir)
    scenario = load_scenario(run_dir / rundir.SCENARIO_FILE)
    records = read_records(run_dir)
    if records.empty:
        start = end = (run_dir / rundir.SCENARIO_FILE).stat().st_mtime
    else:
        start = float(records["sent_at"].min())
        end = float((records["sent_at"] + records["e2e_s"].fillna(0.0)).max())
    facts = RunFacts(
        model="",
        endpoint=scenario.endpoint.name if scenario.endpoint is not None else "simulator",
        run_start=start,
        ended_at=end,
        partial_reason="recovered after the run's process ended without finishing",
        stop_reason="recovered",
    )
    return finish_run(run_dir, scenario, facts)
