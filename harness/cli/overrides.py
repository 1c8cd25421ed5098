"""`--set KEY=VALUE`: any scenario key from the command line, for every command that reads a scenario.

A command takes it with one parameter, ``set_: SetOption = None``, and passes
``Overrides().add_set_options(set_ or [])`` (after putting its own options) to the loader.
"""

from __future__ import annotations

from typing import Annotated

import typer

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Set a scenario key: a dotted path, a YAML value (--set load.profile.users=16, "
        "--set endpoint.api=completions); repeatable, applied after the other options.",
    ),
]
