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
    launch_vllm: Annotated[
        str | None, typer.Option(help="Launch a local vLLM serving this model for the run.")
    ] = None,
    vllm_arg: Annotated[
        list[str] | None, typer.Option(help="Extra vLLM argument (repeatable), with --launch-vllm.")
    ] = None,
    master: Annotated[
        bool, typer.Option(help="Be the master of a distributed run (Locust workers send load).")
    ] = False,
    expect_workers: Annotated[
        int, typer.Option(help="With --master: workers to wait for before starting.")
    ] = 1,
    master_bind_host: Annotated[
        str, typer.Option(help="With --master: address workers connect to.")
    ] = "127.0.0.1",
    master_bind_port: Annotated[int, typer.Option(help="With --master: port workers connect to.")] = 5557,
    repeat: Annotated[
        int, typer.Option(min=1, help="Run it N times: one run directory each, in a group directory.")
    ] = 1,
) -> None:
    """Run a load scenario; prints the run directory on the last line."""
    from harness.jobs.loadtest import LoadRunOptions, run_loadtest
    from harness.jobs.repeat import run_repeats
    from harness.load.driver import MasterOptions
    from harness.report.console import render_summary

    overrides: dict[str, Any] = {}
    if endpoint is not None:
        overrides["endpoint.base_url"] = endpoint
    if model is not None:
        overrides["endpoint.model"] = model
    if duration is not None:
        overrides["load.duration_s"] = duration
    if launch_vllm is not None:
        overrides.update({"server.kind": "vllm", "server.model": launch_vllm, "server.args": vllm_arg or []})
    spec = load_scenario(scenario, overrides)
    options = LoadRunOptions(
        out_dir=out, quiet=quiet, exporter_port=exporter_port, pushgateway_url=pushgateway
    )
    if master:
        options.master = MasterOptions(
            bind_host=master_bind_host, bind_port=master_bind_port, expect_workers=expect_workers
        )
    result = run_repeats(spec, options, repeat) if repeat > 1 else run_loadtest(spec, options)
    Console(file=sys.stderr).print(render_summary(result.summary))
    console = Console(file=sys.stderr)
    for notice in result.notices:
        console.print(f"[yellow]warning:[/yellow] {notice}")
    if result.exit_code:
        console.print(f"[red]run interrupted[/red]: partial results kept (exit code {result.exit_code})")
    console.print(f"report: {result.run_dir / 'report.html'}")
    print(result.run_dir, flush=True)
    raise typer.Exit(result.exit_code)


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
) -> None:
    """Rebuild a run's report.html; a run whose process died is recovered and summarised first."""
    from harness.config.errors import ConfigError
    from harness.jobs.loadtest import recover_run
    from harness.records.rundir import SCENARIO_FILE, SUMMARY_FILE
    from harness.records.store import JOURNAL_NAME
    from harness.report import write_report

    if not (run_dir / SCENARIO_FILE).is_file():
        raise ConfigError(
            None,
            "RUN_DIR",
            f"{run_dir} is not a run directory (no scenario.yaml)",
            "give a reports/runs/<id> folder",
        )
    if not (run_dir / SUMMARY_FILE).is_file() or (run_dir / JOURNAL_NAME).is_file():
        recover_run(run_dir)
    print(write_report(run_dir))


def worker(
    master_host: Annotated[str, typer.Option(help="Address of the master.")] = "127.0.0.1",
    master_port: Annotated[int, typer.Option(help="Port of the master.")] = 5557,
) -> None:
    """Serve as a worker of a distributed run: the master sends the scenario."""
    from harness.jobs.worker import run_worker

    raise typer.Exit(run_worker(master_host, master_port))


def locustfile() -> None:
    """Print the path of the harness locustfile, for the plain `locust` command and its web UI."""
    from harness.jobs import locustfile as module

    print(module.__file__)
