"""The subset of JSON Schema the json scorer checks.

Keywords: ``type`` (one name or a list), ``enum``, ``required``, ``properties``,
``additionalProperties`` (true/false), ``items``, ``pattern``, ``minimum``, ``maximum``.
A schema using any other keyword is refused when the set is loaded, so nobody believes
a constraint is checked when it is not.
"""

from __future__ import annotations

import math
import re
from typing import Any

KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "pattern",
        "minimum",
        "maximum",
        # Annotations: allowed, never checked.
        "title",
        "description",
        "$schema",
    }
)

_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def schema_problem(schema: Any, where: str = "schema") -> str | None:
    """Why `schema` cannot be checked by this subset, or None when it can."""
    if not isinstance(schema, dict):
        return f"{where} is not a mapping"
    unknown = sorted(set(schema) - KEYWORDS)
    if unknown:
        return f"{where} uses unsupported keyword(s) {', '.join(unknown)}"
    types = schema.get("type")
    names = types if isinstance(types, list) else [types] if types is not None else []
    bad = [t for t in names if t not in _TYPES]
    if bad:
        return f"{where} has unknown type(s) {bad}"
    for name, sub in (schema.get("properties") or {}).items():
        problem = schema_problem(sub, f"{where}.properties.{name}")
        if problem:
            return problem
    if "items" in schema:
        return schema_problem(schema["items"], f"{where}.items")
    return None


def violation(value: Any, schema: dict[str, Any], path: str = "$") -> str | None:
    """The first way `value` breaks `schema` (a one-line description), or None when it conforms."""
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_is_type(value, name) for name in names):
            return f"{path} is not of type {'/'.join(names)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{path} is not one of {schema['enum']}"
    if isinstance(value, dict):
        return _object_violation(value, schema, path)
    if isinstance(value, list) and "items" in schema:
        for index, element in enumerate(value):
            found = violation(element, schema["items"], f"{path}[{index}]")
            if found:
                return found
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        return f"{path} does not match {schema['pattern']!r}"
    if _is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{path} is below {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{path} is above {schema['maximum']}"
    return None


def _object_violation(value: dict[str, Any], schema: dict[str, Any], path: str) -> str | None:
    missing = [key for key in schema.get("required", []) if key not in value]
    if missing:
        return f"{path} misses required field(s) {', '.join(missing)}"
    properties = schema.get("properties") or {}
    if schema.get("additionalProperties") is False:
        extra = sorted(set(value) - set(properties))
        if extra:
            return f"{path} has unexpected field(s) {', '.join(extra)}"
    for key, sub in properties.items():
        if key in value:
            found = violation(value[key], sub, f"{path}.{key}")
            if found:
                return found
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "number":
        return _is_number(value)
    if name == "integer":
        return _is_number(value) and float(value).is_integer()
    if name == "boolean":
        return isinstance(value, bool)
    return value is None  # "null"
