"""Scenario keys set on the command line (`--set load.duration_s=30`, `--duration 30`), in order.

Each key remembers the option that set it, so a value the schema rejects is reported against
that option instead of the file, which holds a different value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from harness.config.errors import ConfigError
from harness.config.yaml_io import parse_yaml_value

COMMAND_LINE = "(command line)"
SET_FIX = "write --set KEY=VALUE with a dotted scenario key, e.g. --set load.profile.users=16"


class Overrides(dict[str, Any]):
    """Dotted key -> value, applied in insertion order; `origin(key)` names the option that set it."""

    def __init__(self) -> None:
        super().__init__()
        self._origins: dict[str, str] = {}

    def put(self, key: str, value: Any, origin: str) -> None:
        """Set `key`; a later put of the same key wins, and so does its origin."""
        self.pop(key, None)  # re-inserted last, so it is applied after everything set before it
        self[key] = value
        self._origins[key] = origin

    def origin(self, key: str) -> str:
        return self._origins.get(key, f"override {key}")

    def add_set_options(self, pairs: Iterable[str]) -> Overrides:
        """Add `--set KEY=VALUE` options (VALUE parsed as YAML); returns self."""
        for pair in pairs:
            key, value = parse_set_option(pair)
            self.put(key, value, f"--set {key}")
        return self


def parse_set_option(pair: str) -> tuple[str, Any]:
    """(dotted key, YAML-parsed value) of one `--set KEY=VALUE`; a malformed one is a `ConfigError`.

    The value is never echoed: a key pasted by mistake must not reach a terminal log.
    """
    key, sep, text = pair.partition("=")
    key = key.strip()
    if not sep:
        raise ConfigError(COMMAND_LINE, "--set", "needs KEY=VALUE (no '=' found)", SET_FIX)
    if not key or not all(key.split(".")):
        raise ConfigError(COMMAND_LINE, f"--set {key}", "is not a dotted scenario key", SET_FIX)
    try:
        return key, parse_yaml_value(text)
    except yaml.YAMLError:
        raise ConfigError(
            COMMAND_LINE,
            f"--set {key}",
            "the value is not valid YAML",
            'quote it for the shell, e.g. --set \'workload.source.prompts=["hi", "hello"]\'',
        ) from None
