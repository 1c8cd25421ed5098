"""``slm-harness baseline promote|list``: named baselines under reports/baselines/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from harness.records.rundir import DEFAULT_BASELINES_DIR

app = typer.Typer(help="Named baselines for gates.", no_args_is_help=True)

BaselinesDir = Annotated[Path, typer.Option(help="Where named baselines are stored.")]


@app.command("promote")
def promote(
    run: Annotated[Path, typer.Argument(help="The run directory to keep as a baseline.")],
    name: Annotated[str, typer.Option(help="Baseline name, used as --baseline NAME by the gate.")],
    replace: Annotated[bool, typer.Option(help="Replace an existing baseline of this name.")] = False,
    baselines_dir: BaselinesDir = DEFAULT_BASELINES_DIR,
) -> None:
    """Store a run's results as a named baseline; prints the baseline's directory."""
    from harness.gate.baselines import promote as promote_run

    baseline = promote_run(run, name, baselines_dir, replace=replace)
    print(baseline.path)


@app.command("list")
def list_(baselines_dir: BaselinesDir = DEFAULT_BASELINES_DIR) -> None:
    """List stored baselines, newest first."""
    from harness.gate.baselines import list_baselines

    for b in list_baselines(baselines_dir):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(b.promoted_at))
        print(f"{b.name}\t{when}Z\t{b.source}")
