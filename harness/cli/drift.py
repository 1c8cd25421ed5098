"""``slm-harness drift``: drift reports (compare two sources, or week against week) and
synthetic production logs for demos. Thin: parses arguments, calls `harness.drift`."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harness.config.errors import ConfigError

if TYPE_CHECKING:
    from harness.drift.result import DriftResult
    from harness.drift.weeks import IsoWeek

app = typer.Typer(
    help="Drift reports with Evidently: `drift --reference SRC --current SRC`, or `drift weekly LOGS`.",
    invoke_without_command=True,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Drift config YAML (keywords, regexes, thresholds).")
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        help="Folder for drift.html, drift.json and drift.md (default: the current run directory "
        "when --current is one, else a new reports/runs/<id>).",
    ),
]
FailOption = Annotated[bool, typer.Option(help="Exit with code 1 when any feature drifted.")]
PushOption = Annotated[str | None, typer.Option(help="Pushgateway URL to push slm_drift_* metrics to.")]
EmbeddingsOption = Annotated[
    bool, typer.Option(help="Add semantic drift on sentence embeddings (needs the embeddings extra).")
]


@app.callback()
def drift(
    ctx: typer.Context,
    reference: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="SRC", help="Reference: a run directory, a .jsonl log file or a folder of logs."
        ),
    ] = None,
    current: Annotated[
        list[Path] | None,
        typer.Option(metavar="SRC", help="Current: same kinds as --reference (repeatable)."),
    ] = None,
    config: ConfigOption = None,
    out: OutOption = None,
    fail_on_drift: FailOption = False,
    pushgateway: PushOption = None,
    embeddings: EmbeddingsOption = False,
) -> int:
    """Compare --current against --reference; prints the output folder on the last line.

    Without --out, a current run directory receives the report itself."""
    if ctx.invoked_subcommand is not None:
        if reference or current:
            raise ConfigError(
                "(command line)",
                "--reference/--current",
                f"do not apply to `drift {ctx.invoked_subcommand}`",
                "use them without a subcommand",
            )
        return 0
    if not reference or not current:
        raise ConfigError(
            "(command line)",
            "--reference/--current",
            "both are needed to compare",
            "run `slm-harness drift --reference SRC --current SRC`, or `slm-harness drift weekly LOGS`",
        )
    from harness.drift.config import load_config
    from harness.drift.jobs import compare_sources, out_dir_for

    settings = load_config(config)
    out_dir = out_dir_for(out, current, "drift")
    result = compare_sources(reference, current, settings, out_dir, embeddings)
    return _finish(result, out_dir, fail_on_drift, pushgateway)


@app.command("weekly")
def weekly(
    logs: Annotated[list[Path], typer.Argument(help="Log files (.jsonl, .jsonl.gz) or folders of them.")],
    reference_week: Annotated[
        str | None, typer.Option(help="Pin the reference week, e.g. 2025-W03 (default: the week before).")
    ] = None,
    current_week: Annotated[
        str | None, typer.Option(help="Pin the current week (default: the last complete week with logs).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Decide which weeks are complete as of this UTC date/time (default: now)."),
    ] = None,
    config: ConfigOption = None,
    out: OutOption = None,
    fail_on_drift: FailOption = False,
    pushgateway: PushOption = None,
    embeddings: EmbeddingsOption = False,
) -> int:
    """The last complete ISO week of the logs against the week before; prints the output folder."""
    from harness.drift.config import load_config
    from harness.drift.jobs import out_dir_for, weekly_report

    settings = load_config(config)
    moment = _moment(as_of, "--as-of") if as_of else None
    out_dir = out_dir_for(out, [], "drift-weekly")
    result = weekly_report(
        logs,
        settings,
        out_dir,
        as_of=moment,
        current_week=_week(current_week, "--current-week"),
        reference_week=_week(reference_week, "--reference-week"),
        use_embeddings=embeddings,
    )
    return _finish(result, out_dir, fail_on_drift, pushgateway)


@app.command("synth-logs")
def synth_logs(
    out: Annotated[Path, typer.Argument(help="Folder to write the weekly .jsonl files into.")],
    weeks: Annotated[int, typer.Option(min=1, help="Number of weeks.")] = 6,
    start: Annotated[
        str | None,
        typer.Option(help="First day, YYYY-MM-DD (default: the Monday WEEKS weeks before this week's)."),
    ] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option(help="WEEK=PROFILE, e.g. 6=longer-outputs (weeks count from 1); repeatable."),
    ] = None,
    requests_per_week: Annotated[int, typer.Option(min=1, help="Requests per week.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> int:
    """Write weeks of synthetic support-ticket logs (and a matching drift-config.yaml)."""
    from harness.drift.synth import CONFIG_FILE, generate_logs

    first = _day(start, "--start") if start else _monday_weeks_ago(weeks)
    profiles = _profiles(profile or [], weeks)
    generate_logs(out, weeks, first, profiles, requests_per_week, seed)
    print(f"{weeks} weeks from {first} in {out}; drift config: {out / CONFIG_FILE}", file=sys.stderr)
    print(out, flush=True)
    return 0


def _finish(result: DriftResult, out_dir: Path, fail_on_drift: bool, pushgateway: str | None) -> int:
    from harness.drift.compare import HTML_FILE, JSON_FILE, MARKDOWN_FILE
    from harness.drift.metrics import push_drift
    from harness.drift.sample import MAX_ISSUES_KEPT

    drifted = ", ".join(f.feature for f in result.drifted_features()) or "none"
    verdict = "drift detected" if result.detected else "no drift detected"
    current = result.current.week or result.current.label
    reference = result.reference.week or result.reference.label
    print(
        f"{current} vs {reference}: {verdict}; "
        f"{result.n_drifted} of {result.n_features} features drifted ({drifted})",
        file=sys.stderr,
    )
    for side, quality in result.quality.items():
        if quality.invalid:  # the report says so too, but a skipped line must not go unnoticed
            print(
                f"{side}: {quality.invalid} of {quality.lines} log lines skipped as invalid "
                f"(first: {quality.issues[0]}); up to {MAX_ISSUES_KEPT} of them listed in "
                f"{out_dir / JSON_FILE} under log_quality",
                file=sys.stderr,
            )
    print(f"report: {out_dir / HTML_FILE}  summary: {out_dir / MARKDOWN_FILE}", file=sys.stderr)
    if pushgateway:
        push_drift(result, pushgateway, out_dir.name)
    print(out_dir, flush=True)
    if fail_on_drift and result.detected:
        raise typer.Exit(code=1)
    return 0


def _week(text: str | None, option: str) -> IsoWeek | None:
    from harness.drift.weeks import IsoWeek

    if text is None:
        return None
    try:
        return IsoWeek.parse(text)
    except ValueError as e:
        raise ConfigError(
            "(command line)", option, str(e), "write the week as YYYY-Www, e.g. 2025-W03"
        ) from e


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as e:
        raise ConfigError(
            "(command line)", option, f"{text!r} is not a date or time", "write e.g. 2025-02-03"
        ) from e
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise ConfigError("(command line)", option, f"{text!r} is not a date", "write YYYY-MM-DD") from e


def _monday_weeks_ago(weeks: int) -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday(), weeks=weeks)


def _profiles(pairs: list[str], weeks: int) -> dict[int, str]:
    from harness.sim.profiles import PROFILES

    out: dict[int, str] = {}
    for pair in pairs:
        week, _, name = pair.partition("=")
        if not week.strip().isdigit() or not 1 <= int(week) <= weeks:
            raise ConfigError(
                "(command line)", "--profile", f"{pair!r}: no week 1..{weeks}", "write WEEK=PROFILE"
            )
        if name not in PROFILES:
            raise ConfigError(
                "(command line)",
                "--profile",
                f"unknown profile {name!r}",
                f"use one of: {', '.join(PROFILES)}",
            )
        out[int(week)] = name
    return out
