"""Golden sets as users write them: one item per JSONL line, set defaults in a YAML file beside it.

``golden/<name>.jsonl`` holds the items; ``golden/<name>.yaml`` (optional) the set's defaults.
An item names its own scorer or takes the set's; scorer options given on the item win over
the set's. See golden/README.md for the format with examples.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import Field, ValidationError, model_validator

from harness.config._base import StrictModel
from harness.config.errors import ConfigError, invalid
from harness.config.validation import from_validation_error

ScorerName = Literal["exact", "normalized", "contains", "regex", "label", "numeric", "json"]
SCORER_NAMES: tuple[str, ...] = get_args(ScorerName)


class Message(StrictModel):
    role: Literal["system", "user", "assistant"]
    content: str


class GoldenDefaults(StrictModel):
    """Set-level settings; every item of the set uses them unless it says otherwise."""

    name: str | None = Field(default=None, min_length=1)  # default: the JSONL file's stem
    description: str = ""
    api: Literal["chat", "completions"] = "chat"
    scorer: ScorerName = "exact"
    max_tokens: int = Field(default=64, ge=1)
    # Greedy decoding: a golden answer should not depend on the sampler's luck.
    temperature: float = Field(default=0.0, ge=0.0)
    system_prompt: str | None = None
    labels: list[str] | None = Field(default=None, min_length=2)  # the label scorer's choices
    tolerance: float = Field(default=0.0, ge=0.0)  # numeric scorer: absolute tolerance
    rel_tolerance: float = Field(default=0.0, ge=0.0)  # numeric scorer: tolerance relative to |expected|
    schemas: dict[str, dict[str, Any]] = Field(default_factory=dict)  # named JSON schemas for items

    @model_validator(mode="after")
    def _system_prompt_needs_chat(self) -> GoldenDefaults:
        if self.system_prompt is not None and self.api == "completions":
            raise invalid(
                "a system prompt cannot be sent to the completions API",
                "use api: chat, or fold the instructions into each item's prompt",
                at="system_prompt",
            )
        return self


class GoldenItemSpec(StrictModel):
    """One line of a golden JSONL file."""

    id: str = Field(min_length=1)
    messages: list[Message] | None = Field(default=None, min_length=1)
    prompt: str | None = Field(default=None, min_length=1)
    expected: Any  # required; null is a valid answer for the json scorer
    scorer: ScorerName | None = None
    tags: list[str] = Field(default_factory=list)
    weight: float = Field(default=1.0, gt=0.0)
    # Other acceptable answers for the exact, normalized and contains scorers.
    accept: list[str] = Field(default_factory=list)
    pattern: str | None = None  # regex scorer: the answer must match it (re.search)
    labels: list[str] | None = Field(default=None, min_length=2)
    tolerance: float | None = Field(default=None, ge=0.0)
    rel_tolerance: float | None = Field(default=None, ge=0.0)
    # An inline JSON schema, or the name of one in the set's `schemas`.
    json_schema: str | dict[str, Any] | None = Field(default=None, alias="schema")
    fields: list[str] | None = Field(default=None, min_length=1)  # json scorer: fields compared

    @model_validator(mode="after")
    def _one_input(self) -> GoldenItemSpec:
        if (self.messages is None) == (self.prompt is None):
            raise invalid(
                "an item needs exactly one of messages and prompt",
                'give either "messages": [{"role": "user", "content": ...}] or "prompt": "..."',
                at="messages",
            )
        if self.messages is not None and self.messages[-1].role != "user":
            raise invalid(
                "the last message must come from the user (it is the question the model answers)",
                'end "messages" with a {"role": "user", ...} message',
                at="messages",
            )
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as e:
                raise invalid(
                    f"is not a valid regular expression ({e})", "fix the pattern", at="pattern"
                ) from None
        return self


def load_golden_defaults(jsonl_path: Path) -> GoldenDefaults:
    """The defaults YAML beside a set (``<stem>.yaml`` or ``.yml``), or the built-in defaults."""
    for suffix in (".yaml", ".yml"):
        path = jsonl_path.with_suffix(suffix)
        if path.is_file():
            return _read_defaults(path)
    return GoldenDefaults()


def _read_defaults(path: Path) -> GoldenDefaults:
    data = read_yaml_mapping(path)
    try:
        return GoldenDefaults.model_validate(data)
    except ValidationError as e:
        raise from_validation_error(e, str(path), GoldenDefaults) from None


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file holding one mapping (an empty file is an empty mapping), else a `ConfigError`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(str(path), "(file)", f"cannot read it ({e.strerror})", "check the path") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(where, "(file)", "is not valid YAML", "fix the YAML syntax at that line") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), "(top level)", "must be a mapping of settings", "write key: value lines")
    return data


def parse_item(data: Any, where: str) -> GoldenItemSpec:
    """Validate one decoded JSONL line; `where` is ``file:line`` for the error."""
    if not isinstance(data, dict):
        raise ConfigError(where, "(line)", "is not a JSON object", "write one {...} object per line")
    try:
        return GoldenItemSpec.model_validate(data)
    except ValidationError as e:
        raise from_validation_error(e, where, GoldenItemSpec) from None
