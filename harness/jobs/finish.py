"""Finishing a run: summarise its records, write summary.json and report.html.

Also recovers a run whose process died, from its journal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.analysis.gaps import file_batches
from harness.analysis.meta import RunMeta, StageWindow
from harness.analysis.metrics import SUMMARY_COLUMNS
from harness.analysis.summary import summarize
from harness.config.scenario import Scenario
from harness.jobs.plan import describe_profile, stages_of
from harness.jobs.targets import target_names
from harness.load.cpu import CpuMonitor
from harness.load.driver import DriverResult
from harness.records import rundir
from harness.records.store import read_records


class Sections(Protocol):
    def __call__(self, summary: dict[str, Any], run_level: bool = True) -> dict[str, Any]: ...


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
    # Stages run one after another (sweeps, capacity searches), with their real clock, the
    # window they span, and the answer their planner adds to the summary (``capacity``, ``sweep``).
    stages: list[StageWindow] = field(default_factory=list)
    window: tuple[float, float] | None = None
    blocks: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def finish_run(
    run_dir: Path,
    scenario: Scenario,
    facts: RunFacts,
    sections: Sections | None = None,
) -> dict[str, Any]:
    """Summarise what was recorded and write summary.json and report.html.

    ``sections`` adds summary sections computed from the summary so far (GPU, cost, server; at
    run level also golden), to the run and to each of its stages.
    """
    records = read_records(run_dir, SUMMARY_COLUMNS, compact=True)
    summary = summarize(records, run_meta(run_dir.name, scenario, facts), file_batches(run_dir))
    del records
    if facts.fleet is not None:
        summary["workers"] = facts.fleet
    if sections is not None:
        summary.update(sections(summary))
        for stage in summary["stages"]:
            stage.update(sections(stage, run_level=False))
    if facts.blocks is not None:
        summary.update(facts.blocks(summary))
    (run_dir / rundir.SUMMARY_FILE).write_text(json.dumps(summary, indent=2, allow_nan=False))
    from harness.report.html import write_report

    write_report(run_dir)
    return summary


def run_meta(run_id: str, scenario: Scenario, facts: RunFacts) -> RunMeta:
    """What the summary needs beyond the records: identity, clock, window, SLOs, stages."""
    load = scenario.load
    if facts.window is not None:
        window_start, window_end = facts.window
    else:
        window_start = facts.run_start + load.warmup_s
        window_end = min(facts.run_start + load.duration_s - load.cooldown_s, facts.ended_at)
    return RunMeta(
        run_id=run_id,
        scenario=scenario.name,
        model=facts.model,
        endpoint=facts.endpoint,
        api=scenario.api,
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
        max_error_rate=load.max_error_rate,
        extra={"stop_reason": facts.stop_reason, **facts.extra},
        targets=target_names(scenario),
        stages=facts.stages
        or [
            StageWindow(
                st.name, facts.run_start + st.start_s, facts.run_start + st.end_s, st.warmup_s, st.target()
            )
            for st in stages_of(scenario)
        ],
    )


def recover_run(run_dir: Path) -> dict[str, Any]:
    """Summarise a run whose process died (SIGKILL, power loss): records from the journal,
    the clock from the records themselves, marked partial."""
    from harness.config.scenario import load_scenario
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


def complete(facts: RunFacts, driver: DriverResult | None, cpu: CpuMonitor) -> None:
    """Fill in what the driver learned (or, when it never ran, what is known now).

    ``client_cpu.cpu_seconds`` and ``processes`` cover every load process: this one and, in a
    distributed run, its workers (which report their own CPU time)."""
    client = cpu.summary()
    workers = (driver.fleet or {}).get("workers", []) if driver is not None else []
    client["cpu_seconds"] += sum(w.get("cpu_s", 0.0) for w in workers)
    client["processes"] = max(len(workers), 1)
    facts.extra["client_cpu"] = client
    if driver is None:
        facts.ended_at = time.time()
        facts.stop_reason = "failed"
        return
    facts.run_start, facts.ended_at = driver.started_at, driver.ended_at
    facts.stop_reason = driver.stop_reason
    facts.fleet = driver.fleet
    if driver.interrupted_by:
        facts.partial_reason = f"interrupted by {driver.interrupted_by}"
