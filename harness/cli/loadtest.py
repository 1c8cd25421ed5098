"""``slm-harness run`` and ``slm-harness report``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from harness.config import load_scenario


def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    endpoint: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible endpoint.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name (default: the endpoint's first model).")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Run duration in seconds.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for run directories (default reports/runs).")
    ] = None,
    exporter_port: Annotated[
        int | None, typer.Option(help="Port of the live /metrics exporter; -1 turns it off.")
    ] = None,
    pushgateway: Annotated[
        str | None, typer.Option(help="Pushgateway URL to push the run's metrics to.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No live progress display.")] = False,
) -> int:
    """Run a load scenario; prints the run directory on the last line."""
    from harness.jobs.loadtest import LoadRunOptions, run_loadtest
    from harness.report.console import render_summary

    overrides: dict[str, Any] = {}
    if endpoint is not None:
        overrides["endpoint.base_url"] = endpoint
    if model is not None:
        overrides["endpoint.model"] = model
    if duration is not None:
        overrides["load.duration_s"] = duration
    spec = load_scenario(scenario, overrides)
    options = LoadRunOptions(
        out_dir=out, quiet=quiet, exporter_port=exporter_port, pushgateway_url=pushgateway
    )
    result = run_loadtest(spec, options)
    Console(file=sys.stderr).print(render_summary(result.summary))
    console = Console(file=sys.stderr)
    for notice in result.notices:
        console.print(f"[yellow]warning:[/yellow] {notice}")
    if result.exit_code:
        console.print(f"[red]run interrupted[/red]: partial results kept (exit code {result.exit_code})")
    console.print(f"report: {result.run_dir / 'report.html'}")
    print(result.run_dir, flush=True)
    return result.exit_code


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
) -> int:
    """Rebuild summary-based report.html of a run (recovers records of a crashed run first)."""
    from harness.records.store import recover
    from harness.report import write_report

    recover(run_dir)
    path = write_report(run_dir)
    print(path)
    return 0
