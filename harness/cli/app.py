"""The ``slm-harness`` command tree. Thin: parse, call a stage, print, exit."""

from __future__ import annotations

import sys

import click
import typer

from harness import __version__
from harness.cli import loadtest, sim
from harness.config.errors import ConfigError

app = typer.Typer(
    name="slm-harness",
    help="Benchmark and monitor small language model endpoints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(loadtest.run)
app.command("report")(loadtest.report)
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
    """Run the command line; user mistakes end in one line on stderr and exit code 2."""
    try:
        result = app(args=args, prog_name="slm-harness", standalone_mode=False)
    except ConfigError as e:
        print(f"slm-harness: error: {e}", file=sys.stderr)
        return 2
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        print("slm-harness: aborted", file=sys.stderr)
        return 130
    except click.ClickException as e:
        e.show()
        return 2
    return result if isinstance(result, int) else 0
