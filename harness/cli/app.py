"""The ``slm-harness`` command tree. Thin: parse, call a stage, print, exit."""

from __future__ import annotations

import sys

import typer

from harness import __version__
from harness.cli import (
    baseline,
    capacity,
    compare,
    dashboards,
    drift,
    gate,
    golden,
    init,
    loadtest,
    sim,
    telemetry,
)
from harness.cli.usage import usage_error
from harness.config.errors import ConfigError
from harness.launch.errors import LaunchError
from harness.report.errors import ReportError
from harness.sim.config import SimConfigError

app = typer.Typer(
    name="slm-harness",
    help="Benchmark and monitor small language model endpoints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(init.init)
app.command("run")(loadtest.run)
app.command("capacity")(capacity.capacity)
app.command("report")(loadtest.report)
app.command("worker")(loadtest.worker)
app.command("locustfile")(loadtest.locustfile)
app.add_typer(golden.app, name="golden")
app.add_typer(gate.app, name="gate")
app.command("compare")(compare.compare)
app.add_typer(baseline.app, name="baseline")
app.add_typer(drift.app, name="drift")
app.add_typer(dashboards.app, name="dashboards")
app.add_typer(telemetry.app, name="telemetry")
app.command(
    "sim",
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)(sim.sim)


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def run_app(args: list[str]) -> int:
    """Run the command line; user mistakes end in one line on stderr and exit code 2.

    A command's exit code is what it returns, or the code of the `typer.Exit` it raises.
    """
    try:
        code = app(args=args, prog_name="slm-harness", standalone_mode=False)
    except typer.TyperException as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # a bare command group: typer printed its help
            return 2
        print(f"slm-harness: error: {usage_error(e, args)}", file=sys.stderr)
        return 2
    except typer.Abort:
        return 1
    except (ConfigError, SimConfigError) as e:
        print(f"slm-harness: error: {e}", file=sys.stderr)
        return 2
    except ReportError as e:
        print(f"slm-harness: error: {e}", file=sys.stderr)
        return 2
    except LaunchError as e:
        print(f"slm-harness: error: {e}", file=sys.stderr)
        if e.log_tail:
            print(f"last lines of {e.log_path}:", file=sys.stderr)
            for line in e.log_tail:
                print(f"  {line}", file=sys.stderr)
        return 2
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code if isinstance(code, int) else 0
