"""``slm-harness capacity``: the highest load an endpoint takes while meeting its SLOs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from harness.cli.overrides import SetOption
from harness.config.errors import ConfigError
from harness.config.overrides import COMMAND_LINE, Overrides
from harness.shipped import find_scenario

SLO_KEYS = ("ttft_ms", "tpot_ms", "e2e_ms")


def capacity(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario YAML file or shipped scenario name (workload, endpoint, SLOs).")
    ],
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
    set_: SetOption = None,
) -> None:
    """Search the highest load that meets the SLOs; prints the run directory on the last line.

    Open-loop probes use the scenario's arrival process when its profile is a rate (else Poisson)."""
    from rich.console import Console

    from harness.capacity.search import CapacitySearch, SearchSettings
    from harness.config.load import RateProfile, TraceProfile
    from harness.config.scenario import load_scenario
    from harness.config.workload import ConversationsSource
    from harness.jobs.loadtest import LoadRunOptions, run_loadtest
    from harness.report.console import render_capacity, render_summary

    overrides = Overrides()
    if endpoint is not None:
        overrides.put("endpoint.base_url", endpoint, "--endpoint")
    if model is not None:
        overrides.put("endpoint.model", model, "--model")
    for key, value in _slo_values(slo).items():
        overrides.put(f"slo.{key}", value, "--slo")
    path = find_scenario(scenario)
    spec = load_scenario(path, overrides.add_set_options(set_ or []))
    if not any(getattr(spec.slo, key, None) for key in SLO_KEYS):
        raise ConfigError(
            str(path), "slo", "no SLO to search against", "set slo: in the scenario or pass --slo ttft_ms=500"
        )
    if isinstance(spec.load.profile, TraceProfile) or isinstance(spec.workload.source, ConversationsSource):
        raise ConfigError(
            str(path),
            "load.profile" if isinstance(spec.load.profile, TraceProfile) else "workload.source",
            "a trace replay or multi-turn sessions fix their own arrivals; the search plans its own",
            "search with a synthetic, inline, jsonl or sharegpt workload and any single-level profile",
        )
    if probe_users < 1:
        raise ConfigError(COMMAND_LINE, "--probe-users", f"is {probe_users}", "use 1 or more users")
    if not 0 <= stage_warmup_s < stage_s:
        raise ConfigError(
            COMMAND_LINE, "--stage-warmup-s", f"is {stage_warmup_s:g}", "use 0 ≤ warm-up < --stage-s"
        )
    profile = spec.load.profile
    settings = SearchSettings(
        arrival=profile.arrival if isinstance(profile, RateProfile) else "poisson",
        max_in_flight=profile.max_in_flight if isinstance(profile, RateProfile) else 1000,
        by=_by(by),
        attainment=_fraction("--attainment", attainment),
        precision=_fraction("--precision", precision),
        stage_s=stage_s,
        stage_warmup_s=stage_warmup_s,
        probe_users=probe_users,
    )
    result = run_loadtest(spec, LoadRunOptions(out_dir=out, quiet=quiet), planner=CapacitySearch(settings))
    console = Console(file=sys.stderr)
    console.print(render_summary(result.summary))
    if "capacity" in result.summary:
        console.print(render_capacity(result.summary["capacity"]))
    console.print(f"report: {result.run_dir / 'report.html'}")
    print(result.run_dir, flush=True)
    raise typer.Exit(result.exit_code)


def _slo_values(text: str | None) -> dict[str, float]:
    """``ttft_ms=500,e2e_ms=2000`` -> {"ttft_ms": 500.0, "e2e_ms": 2000.0}."""
    values: dict[str, float] = {}
    for part in text.split(",") if text else []:
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in SLO_KEYS:
            raise ConfigError(
                COMMAND_LINE,
                "--slo",
                "cannot read one of its parts",
                f"write KEY=MS, KEY one of {', '.join(SLO_KEYS)}",
            )
        try:
            values[key] = float(value)
        except ValueError:
            raise ConfigError(
                COMMAND_LINE,
                "--slo",
                f"{key} is not a number of milliseconds",
                "write e.g. --slo ttft_ms=500",
            ) from None
    return values


def _by(value: str) -> Literal["rate", "concurrency"]:
    if value not in ("rate", "concurrency"):
        raise ConfigError(COMMAND_LINE, "--by", f"is {value!r}", "use rate or concurrency")
    return "rate" if value == "rate" else "concurrency"


def _fraction(option: str, value: float) -> float:
    if not 0.0 < value < 1.0:
        raise ConfigError(COMMAND_LINE, option, f"is {value:g}", "use a number between 0 and 1")
    return value
