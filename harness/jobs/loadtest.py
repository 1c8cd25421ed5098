"""The load-test job: scenario -> workload -> Locust driver -> records -> summary -> report.

This module composes the stages; each stage's logic lives in its own package. Whatever
happens (a signal, an endpoint fault, a harness error), the records measured so far are
written and a summary is produced, marked partial when the run did not finish.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.errors import ConfigError
from harness.config.scenario import Scenario, scenario_to_yaml
from harness.jobs.endpoint import (
    Target,
    discover_model,
    embedded_simulator,
    endpoint_headers,
    launched_server,
)
from harness.jobs.finish import RunFacts, complete, finish_run, run_meta
from harness.jobs.fleet import default_processes, local_workers
from harness.jobs.logs import attach_run_log
from harness.jobs.plan import build_context, planner_for, users_at
from harness.jobs.services import RunServices
from harness.jobs.staged import StagePlanner, run_stages
from harness.jobs.targets import as_single, compare_blocks, named_targets, plan_targets, target_keys
from harness.load.context import LoadContext, current
from harness.load.cpu import CpuMonitor
from harness.load.driver import DriverResult, MasterOptions, run_load
from harness.load.progress import ProgressDisplay, ProgressStats
from harness.records import rundir
from harness.records.record import RequestRecord
from harness.records.store import RecordWriter

log = logging.getLogger("harness.loadtest")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 3


@dataclass
class LoadRunOptions:
    out_dir: Path | None = None
    quiet: bool = False
    pushgateway_url: str | None = None
    grace_s: float = 10.0
    master: MasterOptions | None = None  # run as the master of a distributed run
    # Load processes on this host (None: its cores, less one for a local server); 1: this one.
    processes: int | None = None
    repeat: int | None = None  # index within `run --repeat`: every record is tagged with it


@dataclass
class LoadRunResult:
    run_dir: Path
    summary: dict[str, Any]
    exit_code: int
    notices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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


@contextlib.contextmanager
def resolve_targets(scenario: Scenario, api_key: str | None, run_dir: Path) -> Iterator[list[Target]]:
    """Every target of the run, the reference first: the scenario's named targets, or its one."""
    if scenario.targets:
        with named_targets(scenario, target_keys(scenario)) as targets:
            yield targets
        return
    with resolve_target(scenario, api_key, run_dir) as target:
        yield [target]


def run_loadtest(
    scenario: Scenario, options: LoadRunOptions, planner: StagePlanner | None = None
) -> LoadRunResult:
    """Run one scenario end to end and write its run directory.

    With a ``planner`` (a sweep, a capacity search) the load runs as the stages it plans, one
    after another, and its answer joins the summary."""
    if planner is None:
        planner = planner_for(scenario)
    # Everything a user can get wrong is checked before anything starts.
    api_key = scenario.endpoint.api_key() if scenario.endpoint is not None else None
    if scenario.targets:
        target_keys(scenario)
        if options.master is not None or planner is not None:
            raise ConfigError(
                None,
                "targets",
                "a run over several targets runs as one process and one load shape",
                "drop --master / the sweep profile, or compare separate runs with slm-harness compare",
            )
    run_dir = rundir.new_run_dir(options.out_dir, scenario.name)
    (run_dir / rundir.SCENARIO_FILE).write_text(scenario_to_yaml(scenario))
    detach_log = attach_run_log(run_dir)
    writer = RecordWriter(run_dir)
    stats = ProgressStats()
    cpu = CpuMonitor()
    services = RunServices(scenario, run_dir)
    facts = RunFacts(model="", endpoint="simulator", run_start=time.time(), ended_at=0.0)
    driver: DriverResult | None = None
    try:
        with resolve_targets(scenario, api_key, run_dir) as targets:
            target = targets[0]
            facts.endpoint = target.name
            ep = as_single(scenario).endpoint
            for each in targets:
                if not each.model:
                    each.model = discover_model(
                        each.base_url,
                        each.headers,
                        ep.verify_tls if ep is not None else True,
                        ep.timeouts.connect_s if ep is not None else 10.0,
                    )
            facts.model = target.model or ""
            services.start(target)
            tag = [functools.partial(_tag_repeat, options.repeat)] if options.repeat is not None else []
            sinks = [*tag, writer.append, stats, *services.sinks()]
            ctx = build_context(as_single(scenario), target, sinks)
            if scenario.targets:
                plan_targets(ctx, scenario, targets)
                facts.blocks = compare_blocks(scenario, run_dir, ctx, targets)
            log.info(
                "run %s: %s against %s (model %s)", run_dir.name, scenario.name, target.base_url, target.model
            )
            with ProgressDisplay(stats, scenario.name, ctx.duration_s, quiet=options.quiet) as progress:

                def on_tick(elapsed: float) -> None:
                    cpu.sample(time.time())
                    writer.flush()
                    services.tick(current())
                    progress.tick(elapsed)

                if planner is None:
                    driver = _drive(ctx, scenario, target, options, run_dir, on_tick)
                else:
                    meta = run_meta(run_dir.name, scenario, facts)
                    staged = run_stages(
                        planner, scenario, target, sinks, meta, grace_s=options.grace_s, on_tick=on_tick
                    )
                    driver, facts.stages, facts.blocks = staged.driver, staged.windows, planner.block
                    if staged.windows:
                        facts.window = (staged.windows[0].start, staged.windows[-1].end)
            services.stop_live()
    except BaseException as e:  # keep every record, then let the error through
        services.close()
        writer.close()
        facts.partial_reason = (
            "interrupted" if isinstance(e, KeyboardInterrupt) else f"{type(e).__name__}: {e}"
        )
        complete(facts, driver, cpu)
        finish_run(run_dir, scenario, facts, services.summary_sections)
        detach_log()
        raise
    writer.close()
    complete(facts, driver, cpu)
    summary = finish_run(run_dir, scenario, facts, services.summary_sections)
    services.publish(summary, options.pushgateway_url)
    detach_log()
    notices = [*services.notices, *(driver.notices if driver else [])]
    if driver is not None and driver.interrupted_by:
        exit_code = EXIT_INTERRUPTED
    else:
        exit_code = EXIT_FAILED if summary["health"]["failed"] else EXIT_OK
    return LoadRunResult(
        run_dir=run_dir, summary=summary, exit_code=exit_code, notices=notices, notes=services.notes
    )


def _drive(
    ctx: LoadContext,
    scenario: Scenario,
    target: Target,
    options: LoadRunOptions,
    run_dir: Path,
    on_tick: Callable[[float], None],
) -> DriverResult:
    """Run the load in this process, or as the master of local worker processes (every core of
    this host), or of workers elsewhere (``options.master``)."""
    processes = options.processes or default_processes(target.kind, target.base_url)
    with contextlib.ExitStack() as stack:
        master = options.master
        if master is None and processes > 1:
            master = stack.enter_context(local_workers(processes, run_dir))
            log.info("load from %d worker processes on this host", processes)
        return run_load(
            ctx,
            users_at(scenario),
            spawn_rate=scenario.load.spawn_rate,
            grace_s=options.grace_s,
            on_tick=on_tick,
            master=_master(master, scenario, target),
        )


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
