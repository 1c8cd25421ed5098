"""``slm-harness gate``: compare a candidate run with a baseline; exit 0 pass, 1 fail, 2 usage error."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.records.rundir import DEFAULT_BASELINES_DIR


def gate(
    baseline: Annotated[str, typer.Option(help="Run directory, summary.json or baseline name.")],
    candidate: Annotated[str, typer.Option(help="Run directory or summary.json of the run under test.")],
    rules: Annotated[
        Path | None, typer.Option(help="Gate rules YAML (default: relative gates only).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for gate.xml, gate.md, gate.json (default: the candidate's run directory)."
        ),
    ] = None,
    pushgateway: Annotated[str | None, typer.Option(help="Pushgateway URL for the gate metrics.")] = None,
    baselines_dir: Annotated[
        Path, typer.Option(help="Where named baselines are stored.")
    ] = DEFAULT_BASELINES_DIR,
) -> None:
    """Evaluate the gate rules; writes gate.xml (JUnit), gate.md and gate.json.

    gate.md is also appended to $GITHUB_STEP_SUMMARY when that variable is set.
    """
    from rich.console import Console

    from harness.config.gate import load_gate_rules
    from harness.gate import evaluate, gate_metrics, load_run_data, push_gate, write_outputs

    gate_rules = load_gate_rules(rules)
    base = load_run_data(baseline, "--baseline", baselines_dir)
    cand = load_run_data(candidate, "--candidate", baselines_dir)
    report = evaluate(gate_rules, base, cand)
    out_dir = out or (Path(candidate) if Path(candidate).is_dir() else Path.cwd())
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    written = write_outputs(report, out_dir, Path(step_summary) if step_summary else None)
    if pushgateway:
        run_id = str((cand.summary.get("run") or {}).get("run_id") or Path(candidate).name)
        push_gate(pushgateway, gate_metrics(report, base, cand), run_id)
    console = Console(file=sys.stderr, highlight=False)
    for result in report.results:
        mark = {"pass": "[green]PASS[/green]", "fail": "[red]FAIL[/red]", "skip": "[dim]SKIP[/dim]"}[
            result.status
        ]
        console.print(f"{mark} {result.name}: {result.message}", soft_wrap=True)
    if report.newly_failing or report.newly_passing:
        console.print(
            f"items: {len(report.newly_failing)} newly failing, {len(report.newly_passing)} newly passing"
        )
    console.print(f"wrote {', '.join(str(p) for p in written)}", soft_wrap=True)
    verdict = "passed" if report.passed else f"failed ({len(report.failed)} of {len(report.results)} gates)"
    print(f"gate {verdict}", flush=True)
    raise typer.Exit(report.exit_code)
