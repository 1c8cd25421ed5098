"""Reading YAML the user wrote, and applying `--set`-style dotted overrides to it."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.config.errors import ConfigError


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate keys, which plain YAML silently resolves to the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping at the top of the YAML file `path`; any failure is a one-line `ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "(file)", "file not found", "check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), "(file)", f"cannot read the file ({e})", "check the file") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # _StrictLoader is a SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(e, "problem", None) or str(e)
        line = f"line {mark.line + 1}" if mark is not None else "the file"
        fix = f"check indentation and quoting at {line}"
        raise ConfigError(where, "(YAML syntax)", f"cannot parse YAML: {problem}", fix) from None
    if not isinstance(data, dict):
        raise ConfigError(
            str(path),
            "(top level)",
            "is not a mapping of sections",
            "start the file with sections such as workload: and load:",
        )
    return data


def parse_yaml_value(text: str) -> Any:
    """One value written on a command line, read as YAML (`16`, `true`, `[a, b]`, `{users: 4}`);
    duplicate keys are refused as in files. Raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=_StrictLoader)  # _StrictLoader is a SafeLoader


def apply_overrides(
    data: dict[str, Any], overrides: Mapping[str, Any], file: str, origins: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A copy of `data` with each dotted key (`load.duration_s`, `load.profile.steps.0.users`) set.

    `origins` names the option that set a key (`--set load.duration_s`), for the error it causes.
    """
    result = copy.deepcopy(data)
    for key, value in overrides.items():
        parts = key.split(".")
        where = f"{file} ({origins[key]})" if origins and key in origins else file
        if not all(parts):
            raise ConfigError(where, key, "is not a dotted field name", "write keys like load.duration_s")
        node: Any = result
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(
                        where,
                        key,
                        f"{part!r} is not an index of the list at {'.'.join(parts[:depth])}",
                        f"use an index from 0 to {len(node) - 1}",
                    )
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    # A section absent or left empty (`endpoint:`) becomes a new mapping.
                    if node.get(part) is None:
                        node[part] = {}
                    node = node[part]
            else:
                raise ConfigError(
                    where,
                    key,
                    f"{'.'.join(parts[:depth])} is a single value, not a section",
                    "override the value itself, not a field under it",
                )
    return result
