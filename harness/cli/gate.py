"""``slm-harness gate``: compare candidate runs with a baseline (exit 0 pass, 1 fail, 2 usage
error), and ``gate calibrate``: measure the noise floors of a scenario with A/A runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.config.errors import ConfigError
from harness.records.rundir import DEFAULT_BASELINES_DIR

app = typer.Typer(
    help="Gate candidate runs against a baseline: writes gate.xml (JUnit), gate.md (also appended"
    " to $GITHUB_STEP_SUMMARY when set) and gate.json; exit 0 pass, 1 fail, 2 usage error."
    " `gate calibrate` measures noise floors.",
    invoke_without_command=True,
)

BaselinesDir = Annotated[Path, typer.Option(help="Where named baselines are stored.")]


@app.callback()
def gate(
    ctx: typer.Context,
    baseline: Annotated[
        list[str] | None,
        typer.Option(help="Baseline name, run directory, group directory or summary.json (repeatable)."),
    ] = None,
    candidate: Annotated[
        list[str] | None,
        typer.Option(help="Run directory, group directory (run --repeat) or summary.json (repeatable)."),
    ] = None,
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
    baselines_dir: BaselinesDir = DEFAULT_BASELINES_DIR,
) -> None:
    """Evaluate the gate rules (the group's help says what it writes)."""
    if ctx.invoked_subcommand is not None:
        return
    if not baseline or not candidate:
        raise ConfigError(
            None,
            "--baseline" if not baseline else "--candidate",
            "is required",
            "give --baseline NAME_OR_RUN --candidate RUN (or: slm-harness gate calibrate SCENARIO)",
        )
    from rich.console import Console

    from harness.config.gate import load_gate_rules
    from harness.gate import evaluate, gate_metrics, load_side, push_gate, write_outputs

    gate_rules = load_gate_rules(rules)
    base = load_side(baseline, "--baseline", baselines_dir)
    cand = load_side(candidate, "--candidate", baselines_dir)
    report = evaluate(gate_rules, base, cand, str(rules) if rules is not None else None)
    first = Path(candidate[0])
    out_dir = out or (first if len(candidate) == 1 and first.is_dir() else Path.cwd())
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    written = write_outputs(report, out_dir, Path(step_summary) if step_summary else None)
    if pushgateway:
        run_id = str((cand.summary.get("run") or {}).get("run_id") or first.name)
        push_gate(pushgateway, gate_metrics(report, base, cand), run_id)
    console = Console(file=sys.stderr, highlight=False)
    for result in report.results:
        mark = {"pass": "[green]PASS[/green]", "fail": "[red]FAIL[/red]", "skip": "[dim]SKIP[/dim]"}[
            result.status
        ]
        console.print(f"{mark} {result.name}: {result.message}", soft_wrap=True, markup=True)
    if report.newly_failing or report.newly_passing:
        console.print(
            f"items: {len(report.newly_failing)} newly failing, {len(report.newly_passing)} newly passing"
        )
    console.print(f"wrote {', '.join(str(p) for p in written)}", soft_wrap=True)
    verdict = "passed" if report.passed else f"failed ({len(report.failed)} of {len(report.results)} gates)"
    print(f"gate {verdict}", flush=True)
    raise typer.Exit(report.exit_code)


@app.command("calibrate")
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file to repeat unchanged (A/A runs).")],
    runs: Annotated[int, typer.Option(min=2, help="A/A repetitions (5 or more recommended).")] = 5,
    name: Annotated[
        str | None, typer.Option(help="Promote the runs, with their noise floors, as this baseline.")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Replace an existing baseline of this name.")] = False,
    endpoint: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible endpoint.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name (default: the endpoint's first model).")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Duration of each run in seconds.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for run directories (default reports/runs).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No live progress display.")] = False,
    baselines_dir: BaselinesDir = DEFAULT_BASELINES_DIR,
) -> None:
    """Run SCENARIO several times unchanged and store each metric's noise floor (noise.json).

    Prints the floors; the last line is the baseline directory (with --name) or the group
    directory, which `baseline promote` can store later (golden results added first).
    """
    from rich.console import Console

    from harness.config.scenario import load_scenario
    from harness.jobs.calibrate import run_calibration
    from harness.jobs.loadtest import LoadRunOptions

    overrides: dict[str, Any] = {}
    if endpoint is not None:
        overrides["endpoint.base_url"] = endpoint
    if model is not None:
        overrides["endpoint.model"] = model
    if duration is not None:
        overrides["load.duration_s"] = duration
    spec = load_scenario(scenario, overrides)
    options = LoadRunOptions(out_dir=out, quiet=quiet)
    result = run_calibration(spec, options, runs, name, baselines_dir, replace)
    console = Console(file=sys.stderr, highlight=False)
    if result.floors is None:
        console.print(f"[red]calibration interrupted[/red]: runs kept in {result.run.run_dir}")
        print(result.run.run_dir, flush=True)
        raise typer.Exit(result.run.exit_code)
    for line in result.replaced:
        console.print(f"[yellow]replaced an outlier run[/yellow] {line} (a machine stall?)", soft_wrap=True)
    console.print(_floors_table(result.floors))
    print(result.baseline.path if result.baseline is not None else result.run.run_dir, flush=True)


def _floors_table(floors: Any) -> Any:
    from rich.table import Table

    from harness.gate.calibration import metric_keys

    table = Table(
        title=f"Noise floors from {floors.runs} A/A runs (95 %, against these runs as the baseline)",
        title_justify="left",
    )
    for column in ("metric", "run-to-run sd", "floor, 1 candidate run", "floor, 3 candidate runs"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for key in metric_keys():
        noise = floors.noise(key)
        if noise is None:
            continue
        one, three = (floors.floor_pct(key, floors.runs, n, 0.95) for n in (1, 3))
        table.add_row(key, f"{100 * noise.sd_log:.1f}%", f"{one:.1f}%", f"{three:.1f}%")
    return table
