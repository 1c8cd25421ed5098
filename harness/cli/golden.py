"""``slm-harness golden run|check``: golden sets against an endpoint (or the simulator)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harness.config.errors import ConfigError

if TYPE_CHECKING:
    from harness.golden.dataset import GoldenSet

app = typer.Typer(help="Golden-set regression checks.", no_args_is_help=True)

SetsArg = Annotated[list[Path], typer.Argument(help="Golden set JSONL files or folders of them.")]


@app.command("check")
def check(sets: SetsArg) -> None:
    """Validate golden sets (schema, scorer options, expected answers) without asking anything."""
    from harness.golden.dataset import load_sets

    for s in load_sets(sets):
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
    stream: Annotated[bool, typer.Option(help="Stream responses (records TTFT and ITL too).")] = False,
    max_attempts: Annotated[int, typer.Option(min=1, help="Tries per item on transport failures.")] = 3,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds allowed for one request.")] = 120.0,
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
) -> None:
    """Ask every golden item, score the answers; prints the run directory on the last line.

    Exit code 1 when no item could be scored (every one failed in transport).
    """
    from rich.console import Console

    from harness.golden.dataset import load_sets
    from harness.golden.metrics import golden_samples, push_golden
    from harness.golden.output import add_to_run, write_golden_run
    from harness.golden.runner import run_rounds
    from harness.golden.tables import accuracy_table
    from harness.golden.transport import EndpointSettings, RetryPolicy
    from harness.records.rundir import new_run_dir

    if into is not None and not into.is_dir():
        raise ConfigError(str(into), "--into", "is not a directory", "give an existing run directory")
    golden_sets = load_sets(sets)
    headers = _auth_headers(api_key_env)
    console = Console(file=sys.stderr)
    with _target(endpoint, model, headers, golden_sets) as (base_url, model_name):
        settings = EndpointSettings(
            base_url=base_url, model=model_name, stream=stream, headers=headers, timeout_s=timeout
        )
        output = asyncio.run(
            run_rounds(
                golden_sets,
                settings,
                concurrency,
                RetryPolicy(max_attempts=max_attempts),
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


def _auth_headers(api_key_env: str | None) -> dict[str, str]:
    if api_key_env is None:
        return {}
    key = os.environ.get(api_key_env)
    if not key:
        raise ConfigError(
            "(environment)", api_key_env, "is not set or empty", f"export {api_key_env}=<your key>"
        )
    return {"Authorization": f"Bearer {key}"}


@contextlib.contextmanager
def _target(
    endpoint: str | None, model: str | None, headers: dict[str, str], golden_sets: list[GoldenSet]
) -> Iterator[tuple[str, str]]:
    """(base URL, model) of the endpoint, or of a simulator started to answer the sets."""
    from harness.jobs.endpoint import discover_model, embedded_simulator

    if endpoint is not None:
        yield endpoint, model or discover_model(endpoint, headers, verify=True, timeout_s=10.0)
        return
    files = tuple(str(s.path) for s in golden_sets)
    with embedded_simulator({"golden_files": files}) as target:
        print(f"no --endpoint: asking the built-in simulator at {target.base_url}", file=sys.stderr)
        yield target.base_url, model or target.model or "sim-model"
