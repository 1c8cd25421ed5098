"""Command-line usage mistakes (unknown option, bad value, missing argument) as one line.

Typer raises them as exceptions when run with ``standalone_mode=False``; they become a
`ConfigError` naming the option and pointing at the command's help. Only option names are
echoed, never the words that follow them: a key pasted in the wrong place stays off the screen.
"""

from __future__ import annotations

from typing import Any

from harness.config.errors import ConfigError

COMMAND_LINE = "(command line)"


def usage_error(error: Any, args: list[str]) -> ConfigError:
    """The `ConfigError` for a typer usage exception (`BadParameter`, `NoSuchOption`, ...) raised
    while parsing `args`."""
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        command = ctx.command_path
    else:  # some errors carry no context: name the command the arguments start with
        command = (
            " ".join(["slm-harness", *args[:1]]) if args and not args[0].startswith("-") else "slm-harness"
        )
    help_fix = f"see `{command} --help`"
    param = getattr(error, "param", None)
    option = getattr(error, "option_name", None)
    name = type(error).__name__
    if name == "NoSuchOption":
        close = getattr(error, "possibilities", None) or []
        fix = f"did you mean {' or '.join(close)}?" if close else help_fix
        return ConfigError(COMMAND_LINE, str(option), f"is not an option of `{command}`", fix)
    if name == "MissingParameter" and param is not None:
        return ConfigError(COMMAND_LINE, _param_name(param), "is required but missing", help_fix)
    if param is not None:  # BadParameter: a value of the wrong type or range
        return ConfigError(COMMAND_LINE, _param_name(param), _problem(error.message), help_fix)
    if option is not None:  # BadOptionUsage, e.g. an option given without its value
        problem = str(error.message).removeprefix(f"Option '{option}' ")
        return ConfigError(COMMAND_LINE, str(option), _problem(problem), help_fix)
    message = str(error.format_message())
    if message.startswith("No such command") and ctx is not None:
        commands = ", ".join(ctx.command.list_commands(ctx))
        return ConfigError(
            COMMAND_LINE, "COMMAND", f"is not a command of `{command}`", f"use one of: {commands}"
        )
    if message.startswith("Got unexpected extra argument"):
        return ConfigError(COMMAND_LINE, command, "got more arguments than it takes", help_fix)
    return ConfigError(COMMAND_LINE, command, _problem(message), help_fix)


def _param_name(param: Any) -> str:
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")]
    return opts[0] if opts else str(getattr(param, "metavar", None) or param.name).upper()


def _problem(message: str) -> str:
    """Typer's sentence without the option it names (the field already does) and its end stop."""
    text = str(message).strip().rstrip(".")
    if text.startswith("Invalid value for "):
        text = text.split(": ", 1)[-1]
    return text[:1].lower() + text[1:]
