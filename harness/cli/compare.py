"""``slm-harness compare RUN_A RUN_B [RUN...]``: runs (or one run's targets) side by side."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def compare(
    runs: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN...",
            help="Run directories, the first is the reference; A1,A2 joins runs of one variant "
            "(repetitions); one run over several targets compares its targets.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for compare.json, compare.md, compare.html (default: a new reports/runs/<id>)."
        ),
    ] = None,
    drift: Annotated[
        bool,
        typer.Option(
            "--drift", help="Also an Evidently drift report of each side's answers against the first's."
        ),
    ] = False,
    pushgateway: Annotated[
        str | None, typer.Option(help="Pushgateway URL for the agreement and accuracy gauges.")
    ] = None,
) -> None:
    """Compare runs: per-metric ratios to the first with intervals, answer agreement, paired
    golden accuracy. Prints the output folder on the last line."""
    from harness.compare.outputs import write_outputs
    from harness.compare.result import compare_sides
    from harness.compare.sides import load_sides
    from harness.records.rundir import new_run_dir

    sides = load_sides(runs)
    result = compare_sides(sides)
    out_dir = out if out is not None else new_run_dir(None, "compare")
    if drift:
        from harness.compare.drift import answer_drift
        from harness.drift.config import DriftConfig

        result["drift"] = answer_drift(sides, DriftConfig(), out_dir)
    write_outputs(result, sides, out_dir)
    if pushgateway:
        from harness.publish.compare import push_comparison

        push_comparison(pushgateway, result, out_dir.name)
    for line in result["warnings"]:
        print(line, file=sys.stderr)
    for agree in result["agreement"]:
        if agree["pairs"]:
            print(
                f"{agree['other']} vs {agree['reference']}: {agree['pairs']} pairs, "
                f"exact {agree['exact']:.1%}, "
                f"token F1 {agree['token_f1']:.3f}",
                file=sys.stderr,
            )
    for acc in result["accuracy"]:
        if acc["difference_points"] is not None:
            print(
                f"golden accuracy {acc['other']} vs {acc['reference']}: "
                f"{acc['difference_points']:+.1f} points, "
                f"McNemar p = {acc['p_value']:.3g}",
                file=sys.stderr,
            )
    print(out_dir)
