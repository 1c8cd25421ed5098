"""``slm-harness telemetry gpu``: sample the GPUs for a while, without load, to check the
telemetry set-up (driver, GPU selection, DCGM exporter or Prometheus source). Thin: parses
arguments, calls `harness.telemetry` and `harness.analysis.energy`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from harness.config.errors import ConfigError

app = typer.Typer(
    help="Check GPU telemetry: `telemetry gpu` samples the GPUs and prints what it measured.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def telemetry() -> None:
    """Check the telemetry sources a scenario's telemetry: section names."""


@app.command("gpu")
def gpu(
    seconds: Annotated[float, typer.Option(min=0.0, help="How long to sample.")] = 10.0,
    interval: Annotated[float, typer.Option(min=0.01, help="Seconds between samples.")] = 1.0,
    gpus: Annotated[
        list[str] | None, typer.Option("--gpu", help="A GPU index or UUID (repeat for several; default all).")
    ] = None,
    source: Annotated[str, typer.Option(help="nvml (local), dcgm or prometheus.")] = "nvml",
    url: Annotated[
        str | None, typer.Option(help="dcgm-exporter /metrics URL or Prometheus base URL.")
    ] = None,
    labels: Annotated[
        list[str] | None, typer.Option("--label", help="NAME=VALUE narrowing remote DCGM series.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to create the run directory in (default reports/runs).")
    ] = None,
) -> None:
    """Sample for --seconds, write gpu.parquet, print the GPU summary as JSON; the run directory is
    the last line. Exits 1 when GPU telemetry is unavailable."""
    from harness.analysis.energy import gpu_summary
    from harness.records import rundir
    from harness.telemetry import GpuSampler, read_gpu_samples

    query_labels = dict(_label(text) for text in labels or [])
    sampler_dir = rundir.new_run_dir(out, "gpu-telemetry")
    try:
        sampler = GpuSampler(sampler_dir, interval, list(gpus or []), source, url, query_labels=query_labels)
        notice = sampler.start()
    except ConfigError:
        sampler_dir.rmdir()
        raise
    if notice is not None:
        sampler_dir.rmdir()
        print(notice, file=sys.stderr)
        raise typer.Exit(1)
    time.sleep(seconds)
    sampler.stop()
    samples = read_gpu_samples(sampler_dir)
    if samples is None:
        print("GPU telemetry: no sample was taken", file=sys.stderr)
        raise typer.Exit(1)
    summary = gpu_summary(samples, float(samples["ts"].min()), float(samples["ts"].max()), output_tokens=0)
    typer.echo(json.dumps(summary, indent=2))
    typer.echo(str(sampler_dir))


def _label(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ConfigError(
            None, "--label", f"{text!r} is not NAME=VALUE", "write e.g. --label Hostname=node-3"
        )
    return name, value
