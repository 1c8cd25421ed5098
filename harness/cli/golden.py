"""``slm-harness golden run|check``: golden sets against an endpoint (or the simulator)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from harness.cli.overrides import SetOption
from harness.config.errors import ConfigError
from harness.config.overrides import Overrides
from harness.shipped import find_golden_set

if TYPE_CHECKING:
    from pydantic import BaseModel

    from harness.config.golden_run import GoldenTarget
    from harness.golden.dataset import GoldenSet

T = TypeVar("T")

app = typer.Typer(help="Golden-set regression checks.", no_args_is_help=True)

SetsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Golden set JSONL files, folders of them, or shipped sets by name (support_intents)."
    ),
]
# Where a golden run's own defaults differ from a scenario's endpoint section: a check, not load.
GOLDEN_STREAM, GOLDEN_TIMEOUT_S, GOLDEN_ATTEMPTS = False, 120.0, 3


@app.command("check")
def check(sets: SetsArg) -> None:
    """Validate golden sets (schema, scorer options, expected answers) without asking anything."""
    from harness.golden.dataset import load_sets

    for s in load_sets([find_golden_set(path) for path in sets]):
        print(f"{s.path}: {s.name}: {len(s.items)} items, default scorer {s.defaults.scorer}")


@app.command("run")
def run(
    sets: SetsArg,
    endpoint: Annotated[
        str | None,
        typer.Option(help="Base URL of an OpenAI-compatible endpoint (default: the built-in simulator)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name (default: the endpoint's first model).")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the API key (sent as a Bearer token).")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 4,
    stream: Annotated[
        bool | None, typer.Option(help="Stream responses (records TTFT and ITL too) [default: no].")
    ] = None,
    max_attempts: Annotated[
        int | None, typer.Option(min=1, help="Tries per item on transport failures [default: 3].")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds allowed for one request [default: 120].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for run directories (default reports/runs).")
    ] = None,
    into: Annotated[
        Path | None, typer.Option(help="Write golden.parquet into this existing run directory instead.")
    ] = None,
    name: Annotated[str, typer.Option(help="Run name (part of the run id).")] = "golden",
    duration: Annotated[
        float | None,
        typer.Option(help="Repeat the sets in rounds for this many seconds (accuracy under load)."),
    ] = None,
    interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between round starts with --duration.")
    ] = 0.0,
    delay: Annotated[float, typer.Option(min=0.0, help="Seconds to wait before the first request.")] = 0.0,
    pushgateway: Annotated[str | None, typer.Option(help="Pushgateway URL for the golden metrics.")] = None,
    quiet: Annotated[bool, typer.Option(help="No result table.")] = False,
    set_: SetOption = None,
) -> None:
    """Ask every golden item, score the answers; prints the run directory on the last line.

    `--set` takes the scenario's endpoint.* and simulator.* keys (e.g. --set
    simulator.golden_accuracy=0.8); --stream, --max-attempts and --timeout win over them.
    Exit code 1 when no item could be scored (every one failed in transport).
    """
    from rich.console import Console

    from harness.golden.dataset import load_sets
    from harness.golden.metrics import golden_samples, push_golden
    from harness.golden.output import add_to_run, write_golden_run
    from harness.golden.runner import run_rounds
    from harness.golden.tables import accuracy_table
    from harness.golden.transport import EndpointSettings, RetryPolicy
    from harness.jobs.endpoint import endpoint_headers
    from harness.records.rundir import new_run_dir

    if into is not None and not into.is_dir():
        raise ConfigError(str(into), "--into", "is not a directory", "give an existing run directory")
    overrides = Overrides()
    for key, value, option in (
        ("endpoint.base_url", endpoint, "--endpoint"),
        ("endpoint.model", model, "--model"),
        ("endpoint.api_key_env", api_key_env, "--api-key-env"),
    ):
        if value is not None:
            overrides.put(key, value, option)
    from harness.config.golden_run import load_golden_target

    target = load_golden_target(overrides.add_set_options(set_ or []))
    ep = target.endpoint
    golden_sets = load_sets([find_golden_set(path) for path in sets])
    headers = endpoint_headers(ep, ep.api_key())
    console = Console(file=sys.stderr)
    with _target(target, headers, golden_sets) as (base_url, model_name):
        settings = EndpointSettings(
            base_url=base_url,
            model=model_name,
            stream=_chosen(stream, ep, "stream", GOLDEN_STREAM),
            headers=headers,
            connect_timeout_s=ep.timeouts.connect_s,
            timeout_s=_chosen(timeout, ep.timeouts, "total_s", GOLDEN_TIMEOUT_S),
            verify_tls=ep.verify_tls,
        )
        retry = RetryPolicy(
            max_attempts=_chosen(max_attempts, ep.retries, "max_attempts", GOLDEN_ATTEMPTS),
            backoff_s=ep.retries.backoff_s,
        )
        output = asyncio.run(
            run_rounds(
                golden_sets,
                settings,
                concurrency,
                retry,
                scenario=name,
                duration_s=duration,
                interval_s=interval,
                delay_s=delay,
            )
        )
    if into is not None:
        run_dir = into
        section = add_to_run(into, output)
    else:
        run_dir = new_run_dir(out, name)
        apis = {s.defaults.api for s in golden_sets}
        summary = write_golden_run(run_dir, output, name, model_name, base_url, "/".join(sorted(apis)))
        section = summary["golden"]
    if not quiet:
        console.print(accuracy_table(section))
    if pushgateway:
        push_golden(pushgateway, golden_samples(section, model_name, base_url, output.ended_at), run_dir.name)
    print(run_dir, flush=True)
    if section["scored"] == 0:
        raise typer.Exit(1)


def _chosen(option: T | None, section: BaseModel, field: str, golden_default: T) -> T:
    """The option when given, else the section's field when --set set it, else the golden default."""
    if option is not None:
        return option
    return getattr(section, field) if field in section.model_fields_set else golden_default


@contextlib.contextmanager
def _target(
    target: GoldenTarget, headers: dict[str, str], golden_sets: list[GoldenSet]
) -> Iterator[tuple[str, str]]:
    """(base URL, model) of the endpoint, or of a simulator started to answer the sets."""
    from harness.jobs.endpoint import discover_model, embedded_simulator

    ep = target.endpoint
    if ep.base_url is not None:
        timeout_s = ep.timeouts.connect_s
        yield ep.base_url, ep.model or discover_model(ep.base_url, headers, ep.verify_tls, timeout_s)
        return
    options = {**target.simulator.model_dump(), "golden_files": tuple(str(s.path) for s in golden_sets)}
    with embedded_simulator(options) as sim:
        print(f"no --endpoint: asking the built-in simulator at {sim.base_url}", file=sys.stderr)
        yield sim.base_url, ep.model or sim.model or "sim-model"
