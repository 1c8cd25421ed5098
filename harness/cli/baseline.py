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
    run: Annotated[
        list[Path], typer.Argument(help="Run directories, or group directories (run --repeat), to keep.")
    ],
    name: Annotated[str, typer.Option(help="Baseline name, used as --baseline NAME by the gate.")],
    replace: Annotated[bool, typer.Option(help="Replace an existing baseline of this name.")] = False,
    baselines_dir: BaselinesDir = DEFAULT_BASELINES_DIR,
) -> None:
    """Store runs' results as a named baseline; prints the baseline's directory.

    Noise floors (noise.json from gate calibrate) come with the runs, or stay from the
    baseline being replaced.
    """
    import sys

    from harness.gate.baselines import promote as promote_runs

    baseline = promote_runs(run, name, baselines_dir, replace=replace)
    if baseline.noise == "kept":
        print(f"kept the noise floors of the replaced baseline {name}", file=sys.stderr)
    print(baseline.path)


@app.command("list")
def list_(baselines_dir: BaselinesDir = DEFAULT_BASELINES_DIR) -> None:
    """List stored baselines, newest first."""
    from harness.gate.baselines import list_baselines

    for b in list_baselines(baselines_dir):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(b.promoted_at))
        floors = "calibrated" if b.noise else "no noise floors"
        print(f"{b.name}\t{when}Z\t{b.runs} run(s), {floors}\t{b.source}")
