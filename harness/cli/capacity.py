"""``slm-harness capacity``: the highest load an endpoint takes while meeting its SLOs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from harness.config.errors import ConfigError

SLO_KEYS = ("ttft_ms", "tpot_ms", "e2e_ms")


def capacity(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file (its workload, endpoint and SLOs).")],
    endpoint: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible endpoint.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name (default: the endpoint's first model).")
    ] = None,
    slo: Annotated[
        str | None, typer.Option(help="SLOs to meet, e.g. ttft_ms=500,tpot_ms=50 (default: the scenario's).")
    ] = None,
    attainment: Annotated[float, typer.Option(help="Share of requests that must meet every SLO.")] = 0.99,
    precision: Annotated[
        float, typer.Option(help="Stop when the answer is known within this fraction.")
    ] = 0.05,
    stage_s: Annotated[
        float, typer.Option(help="Seconds per probe (a probe too short to decide runs longer).")
    ] = 10.0,
    stage_warmup_s: Annotated[
        float, typer.Option(help="Seconds at the start of each probe not measured.")
    ] = 2.0,
    by: Annotated[str, typer.Option(help="Search the open-loop arrival rate or closed-loop users.")] = "rate",
    probe_users: Annotated[int, typer.Option(help="Closed-loop users of the throughput probe.")] = 64,
    out: Annotated[
        Path | None, typer.Option(help="Directory for run directories (default reports/runs).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No live progress display.")] = False,
) -> None:
    """Search the highest load that meets the SLOs; prints the run directory on the last line."""
    from rich.console import Console

    from harness.capacity.search import CapacitySearch, SearchSettings
    from harness.config import load_scenario
    from harness.jobs.loadtest import LoadRunOptions, run_loadtest
    from harness.report.console import render_capacity, render_summary

    overrides: dict[str, Any] = {}
    if endpoint is not None:
        overrides["endpoint.base_url"] = endpoint
    if model is not None:
        overrides["endpoint.model"] = model
    overrides.update(_slo_overrides(slo))
    spec = load_scenario(scenario, overrides)
    if not any(getattr(spec.slo, key, None) for key in SLO_KEYS):
        raise ConfigError(
            str(scenario),
            "slo",
            "no SLO to search against",
            "set slo: in the scenario or pass --slo ttft_ms=500",
        )
    settings = SearchSettings(
        by=_by(by),
        attainment=_fraction("--attainment", attainment),
        precision=_fraction("--precision", precision),
        stage_s=_positive("--stage-s", stage_s),
        stage_warmup_s=stage_warmup_s,
        probe_users=probe_users,
    )
    if stage_warmup_s < 0 or stage_warmup_s >= stage_s:
        raise ConfigError(None, "--stage-warmup-s", f"is {stage_warmup_s:g}", "use 0 ≤ warm-up < --stage-s")
    result = run_loadtest(spec, LoadRunOptions(out_dir=out, quiet=quiet), planner=CapacitySearch(settings))
    console = Console(file=sys.stderr)
    console.print(render_summary(result.summary))
    if "capacity" in result.summary:
        console.print(render_capacity(result.summary["capacity"]))
    console.print(f"report: {result.run_dir / 'report.html'}")
    print(result.run_dir, flush=True)
    raise typer.Exit(result.exit_code)


def _slo_overrides(text: str | None) -> dict[str, float]:
    if not text:
        return {}
    overrides = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in SLO_KEYS:
            raise ConfigError(
                None, "--slo", f"cannot read {part!r}", f"write KEY=MS with KEY one of {', '.join(SLO_KEYS)}"
            )
        try:
            overrides[f"slo.{key}"] = float(value)
        except ValueError:
            raise ConfigError(
                None, "--slo", f"{key} = {value!r} is not a number", "give milliseconds, e.g. ttft_ms=500"
            ) from None
    return overrides


def _by(value: str) -> Literal["rate", "concurrency"]:
    if value not in ("rate", "concurrency"):
        raise ConfigError(None, "--by", f"is {value!r}", "use rate or concurrency")
    return "rate" if value == "rate" else "concurrency"


def _fraction(option: str, value: float) -> float:
    if not 0.0 < value < 1.0:
        raise ConfigError(None, option, f"is {value:g}", "use a number between 0 and 1")
    return value


def _positive(option: str, value: float) -> float:
    if value <= 0:
        raise ConfigError(None, option, f"is {value:g}", "use a number of seconds above 0")
    return value
