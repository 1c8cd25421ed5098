"""``slm-harness sim``: the built-in simulator; its flags belong to ``python -m harness.sim``."""

from __future__ import annotations

import typer


def sim(ctx: typer.Context) -> None:
    """Run the built-in OpenAI-compatible simulator (see `slm-harness sim --help`)."""
    from harness.sim.args import parse_config
    from harness.sim.server import run_server

    cfg, exit_on_stdin_eof = parse_config(list(ctx.args))  # a mistake: SimConfigError, one line
    run_server(cfg, exit_on_stdin_eof=exit_on_stdin_eof)
