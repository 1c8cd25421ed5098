"""``slm-harness run`` and ``slm-harness report``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.overrides import SetOption
from harness.config.errors import ConfigError
from harness.config.overrides import COMMAND_LINE, Overrides
from harness.shipped import find_scenario


def run(
    scenario: Annotated[
        Path,
        typer.Argument(help="Scenario YAML file, or a shipped scenario by name (smoke, chat-short)."),
    ],
    endpoint: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible endpoint.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name (default: the endpoint's first model).")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Run duration in seconds.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for run directories (default reports/runs).")
    ] = None,
    exporter_port: Annotated[
        int | None, typer.Option(help="Port of the live /metrics exporter (publish.exporter.port; 0: any).")
    ] = None,
    no_exporter: Annotated[
        bool, typer.Option("--no-exporter", help="No live /metrics exporter (publish.exporter.enabled).")
    ] = False,
    pushgateway: Annotated[
        str | None, typer.Option(help="Pushgateway URL to push the run's metrics to.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No live progress display.")] = False,
    processes: Annotated[
        int | None,
        typer.Option(help="Load processes on this host (default: its cores, less one for a local server)."),
    ] = None,
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
    set_: SetOption = None,
    repeat: Annotated[
        int, typer.Option(min=1, help="Run it N times: one run directory each, in a group directory.")
    ] = 1,
) -> None:
    """Run a load scenario; prints the run directory on the last line."""
    from rich.console import Console
    from rich.markup import escape

    from harness.config.scenario import load_scenario
    from harness.jobs.loadtest import EXIT_INTERRUPTED, LoadRunOptions, run_loadtest
    from harness.jobs.repeat import run_repeats
    from harness.load.driver import MasterOptions
    from harness.report.console import render_summary

    overrides = Overrides()
    if endpoint is not None:
        overrides.put("endpoint.base_url", endpoint, "--endpoint")
    if model is not None:
        overrides.put("endpoint.model", model, "--model")
    if duration is not None:
        overrides.put("load.duration_s", duration, "--duration")
    if launch_vllm is not None:
        for key, value in (("kind", "vllm"), ("model", launch_vllm), ("args", vllm_arg or [])):
            overrides.put(f"server.{key}", value, "--launch-vllm")
    if exporter_port is not None and no_exporter:
        raise ConfigError(COMMAND_LINE, "--no-exporter", "contradicts --exporter-port", "give one of them")
    if exporter_port is not None:
        overrides.put("publish.exporter.enabled", True, "--exporter-port")
        overrides.put("publish.exporter.port", exporter_port, "--exporter-port")
    if no_exporter:
        overrides.put("publish.exporter.enabled", False, "--no-exporter")
    spec = load_scenario(find_scenario(scenario), overrides.add_set_options(set_ or []))
    if processes is not None and processes < 1:
        raise ConfigError(COMMAND_LINE, "--processes", f"is {processes}", "use 1 (this process) or more")
    options = LoadRunOptions(out_dir=out, quiet=quiet, pushgateway_url=pushgateway, processes=processes)
    if master:
        options.master = MasterOptions(
            bind_host=master_bind_host, bind_port=master_bind_port, expect_workers=expect_workers
        )
    result = run_repeats(spec, options, repeat) if repeat > 1 else run_loadtest(spec, options)
    Console(file=sys.stderr).print(render_summary(result.summary))
    console = Console(file=sys.stderr)
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]", highlight=False)
    for notice in result.notices:
        console.print(f"[yellow]warning:[/yellow] {notice}")
    failed = result.summary["health"]["failed"]
    if result.exit_code == EXIT_INTERRUPTED:
        console.print(f"[red]run interrupted[/red]: partial results kept (exit code {result.exit_code})")
    elif failed:
        console.print(f"[red]run failed[/red]: {escape(failed)}", highlight=False)
    console.print(f"report: {result.run_dir / 'report.html'}")
    print(result.run_dir, flush=True)
    raise typer.Exit(result.exit_code)


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
) -> None:
    """Rebuild a run's report.html; a run whose process died is recovered and summarised first."""
    from harness.jobs.finish import recover_run
    from harness.records.rundir import SCENARIO_FILE, SUMMARY_FILE
    from harness.records.store import JOURNAL_NAME
    from harness.report.html import write_report

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
