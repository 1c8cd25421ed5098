"""Pydantic's structured validation errors turned into one-line `ConfigError`s: the file, the
dotted field, what is wrong (with the value's type and the allowed values) and how to fix it."""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from harness.config.errors import CUSTOM_ERROR_TYPE, ConfigError


def from_validation_error(
    error: ValidationError, file: str, model: type[BaseModel], overridden: Mapping[str, str] | None = None
) -> ConfigError:
    """The first error of `error` as a `ConfigError`; an error under one of the `overridden`
    dotted keys names the option that set it (`overridden` maps key -> option), since the file
    itself holds a different value."""
    details = error.errors(include_url=False)[0]
    loc = details["loc"]
    ctx = details.get("ctx") or {}
    if details["type"] == CUSTOM_ERROR_TYPE and "at" in ctx:
        loc = (*loc, *str(ctx["at"]).split("."))
    path = _walk(model, loc)
    field = path.dotted or "(top level)"
    overridden = overridden or {}
    # Overrides apply in order: the last one holding the field set its value. An unknown field
    # is also blamed on an override below it, which is what brought the field in.
    unknown = details["type"] == "extra_forbidden"
    holders = [key for key in overridden if _within(field, key) or (unknown and _within(key, field))]
    if holders:
        file = f"{file} ({overridden[holders[-1]]})"
    problem, fix = _explain(details, path)
    return ConfigError(file, field, problem, fix)


def _within(field: str, key: str) -> bool:
    """Whether the dotted `field` is `key` or lies under it (`steps.0` is `steps[0]`)."""
    field, key = (re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", k) for k in (field, key))
    return field == key or field.startswith((key + ".", key + "["))


@dataclass(frozen=True)
class _Path:
    dotted: str  # e.g. "load.profile.steps[1].users"
    parent: type[BaseModel] | None  # the model holding the last named field
    leaf: str  # the last field name ("" for an index or unknown)
    annotation: Any  # the declared type of the leaf, when known


def _walk(model: type[BaseModel], loc: tuple[int | str, ...]) -> _Path:
    """Follow pydantic's `loc` through the model, dropping the union tags pydantic inserts."""
    dotted = ""
    current: Any = model
    parent: type[BaseModel] | None = None
    leaf = ""
    for element in loc:
        current = _strip_annotated(current)
        if _is_optional(current):
            current = _strip_annotated(_non_none(current))
        member = _union_member(current, element)
        if member is not None:
            current = member
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            parent, leaf = current, str(element)
            info = _field(current, str(element))
            current = info.annotation if info is not None else None
            dotted = f"{dotted}.{element}" if dotted else str(element)
        elif isinstance(element, int):
            dotted += f"[{element}]"
            leaf = ""
            current = _item_type(current)
        else:
            dotted = f"{dotted}.{element}" if dotted else str(element)
            leaf = str(element)
            current = _item_type(current)
    return _Path(dotted, parent, leaf, current)


def _field(model: type[BaseModel], name: str) -> FieldInfo | None:
    """The field `name` of `model`, looked up by name or by alias (pydantic's loc uses the alias)."""
    info = model.model_fields.get(name)
    if info is None:
        info = next((f for f in model.model_fields.values() if f.alias == name), None)
    return info


def _strip_annotated(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_optional(tp: Any) -> bool:
    return _is_union(tp) and type(None) in get_args(tp)


def _non_none(tp: Any) -> Any:
    members = [a for a in get_args(tp) if a is not type(None)]
    return members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007


def _union_member(tp: Any, element: int | str) -> Any:
    """The member of union `tp` that pydantic's loc `element` names (a tag or a type name)."""
    if not _is_union(tp) or not isinstance(element, str):
        return None
    for member in get_args(tp):
        if get_origin(member) is Annotated and any(
            isinstance(m, Tag) and m.tag == element for m in get_args(member)[1:]
        ):
            return member
        bare = _strip_annotated(member)
        if getattr(bare, "__name__", None) == element:
            return bare
        if isinstance(bare, type) and issubclass(bare, BaseModel):
            info = bare.model_fields.get("type")
            if info is not None and element in get_args(info.annotation):
                return bare
    return None


def _item_type(tp: Any) -> Any:
    origin = get_origin(tp)
    if origin in (list, tuple, set):
        return get_args(tp)[0]
    if origin is dict:
        return get_args(tp)[1]
    return None


_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "str": "a text string",
    "list": "a list",
    "dict": "a mapping",
    "Path": "a file path",
}


def _describe(tp: Any) -> str:
    tp = _strip_annotated(tp)
    if _is_optional(tp):
        tp = _strip_annotated(_non_none(tp))
    if _is_union(tp):
        members = [_strip_annotated(m) for m in get_args(tp)]
        if all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
            return "a mapping with a type field"
        return " or ".join(dict.fromkeys(_describe(m) for m in members))
    if get_origin(tp) is Literal:
        return "one of: " + ", ".join(str(a) for a in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a mapping with fields " + ", ".join(tp.model_fields)
    name = getattr(get_origin(tp) or tp, "__name__", "")
    return _TYPE_WORDS.get(name, "a value of the right type")


def _got(details: ErrorDetails) -> str:
    shown = repr(details["input"])
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _explain(details: ErrorDetails, path: _Path) -> tuple[str, str]:
    """(problem, fix) for one pydantic error."""
    kind = details["type"]
    ctx = details.get("ctx") or {}
    where = path.dotted or "the top level"
    if kind == CUSTOM_ERROR_TYPE:
        return str(ctx["problem"]), str(ctx["fix"])
    if kind == "missing":
        return "is required but missing", f"add {where} ({_describe(path.annotation)})"
    if kind == "extra_forbidden":
        return _unknown_field(path)
    if kind == "literal_error":
        return f"is not allowed (got {_got(details)})", f"use one of: {_plain(ctx['expected'])}"
    if kind == "union_tag_invalid":
        return (
            f"unknown {ctx['discriminator'].strip(chr(39))} {ctx['tag']!r}",
            f"use one of: {_plain(ctx['expected_tags'])}",
        )
    if kind == "union_tag_not_found":
        return f"needs a {ctx['discriminator'].strip(chr(39))} field", f"add {ctx['discriminator']}: ..."
    bound = _bound(kind, ctx, path)
    if bound is not None:
        return f"{bound[0]} (got {_got(details)})", f"set {where} to {bound[1]}"
    if kind == "int_from_float":
        return f"must be a whole number (got {_got(details)})", f"set {where} to a whole number"
    if kind.endswith(("_type", "_parsing")):
        expected = _describe(path.annotation)
        return f"must be {expected} (got {_got(details)})", f"set {where} to {expected}"
    if kind in ("too_short", "string_too_short"):
        return "must not be empty", f"give {where} at least {ctx.get('min_length', 1)} item(s)"
    return (
        f"{details['msg'].removeprefix('Value error, ')} (got {_got(details)})",
        f"set {where} to {_describe(path.annotation)}",
    )


def _bound(kind: str, ctx: dict[str, Any], path: _Path) -> tuple[str, str] | None:
    whole = "int" in str(path.annotation)
    noun = "a whole number" if whole else "a number"
    if kind == "greater_than":
        limit = ctx["gt"]
        target = f"≥ {limit + 1}" if whole and isinstance(limit, int) else f"> {limit}"
        return f"must be greater than {limit}", f"{noun} {target}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}", f"{noun} ≥ {ctx['ge']}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}", f"{noun} < {ctx['lt']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}", f"{noun} ≤ {ctx['le']}"
    return None


def _unknown_field(path: _Path) -> tuple[str, str]:
    if path.parent is None:
        return "is not a known field", "remove it"
    known = list(path.parent.model_fields)
    if path.leaf == "api_key":
        return "would store a secret in the file", "name an environment variable in api_key_env instead"
    close = difflib.get_close_matches(path.leaf, known, n=1, cutoff=0.6)
    if close:
        return "is not a known field", f"did you mean {close[0]!r}?"
    return "is not a known field", "remove it; known fields here: " + ", ".join(known)


def _plain(expected: str) -> str:
    return expected.replace("'", "").replace(" or ", ", ")
