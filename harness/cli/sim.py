"""``slm-harness sim``: the built-in simulator; its flags belong to ``python -m harness.sim``."""

from __future__ import annotations

import typer


def sim(ctx: typer.Context) -> None:
    """Run the built-in OpenAI-compatible simulator (see `slm-harness sim --help`)."""
    from harness.sim.__main__ import main as sim_main

    raise typer.Exit(sim_main(list(ctx.args)) or 0)
