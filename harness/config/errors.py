"""`ConfigError`: one line naming the file, the field, what is wrong and how to fix it.

Users see these instead of tracebacks, so every path that reads what a user wrote (scenario
YAML, data files, environment variables) ends in a `ConfigError`
(`harness.config.validation.from_validation_error` turns pydantic's errors into one). This
module imports nothing heavy: every command imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_core import PydanticCustomError

# The error type of problems raised by our own validators (see `invalid`).
CUSTOM_ERROR_TYPE = "config"


class ConfigError(Exception):
    """A mistake in something the user wrote; `str(e)` is one line ending in the fix."""

    def __init__(self, file: str | None, field: str, problem: str, fix: str) -> None:
        # `file` is None for a setting that did not come from a file (a command-line option).
        self.file = _one_line(file) if file is not None else None
        self.field = _one_line(field)
        self.problem = _one_line(problem)
        self.fix = _one_line(fix)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file is not None else ""
        return f"{where}{self.field}: {self.problem} — fix: {self.fix}"


def invalid(problem: str, fix: str, at: str | None = None) -> PydanticCustomError:
    """An error for a custom validator to raise; `at` names the sub-field a model validator blames."""
    from pydantic_core import PydanticCustomError

    context: dict[str, Any] = {"problem": problem, "fix": fix}
    if at is not None:
        context["at"] = at
    return PydanticCustomError(CUSTOM_ERROR_TYPE, "{problem}", context)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
