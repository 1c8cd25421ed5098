"""Prompts from a JSONL file: one JSON object per line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.config.errors import ConfigError
from harness.config.validation import from_validation_error
from harness.config.workload import JsonlSource, MessagesPrompt
from harness.protocol import PromptItem


def jsonl_items(source: JsonlSource) -> list[PromptItem]:
    """One item per non-blank line, up to `source.limit`; a line holding `messages_field` is a
    conversation, else `prompt_field` is its text. Raises `ConfigError` naming file:line."""
    items: list[PromptItem] = []
    for lineno, row in json_rows(source.path):
        where = f"{source.path}:{lineno}"
        items.append(_item(row, source, where, default_id=f"{source.path.stem}-{lineno}"))
        if source.limit is not None and len(items) >= source.limit:
            break
    if not items:
        raise ConfigError(str(source.path), "(file)", "holds no prompts", "write one JSON object per line")
    return items


def json_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a JSON-lines file; ConfigError naming
    the file and line for one that is not a JSON object, or a file that cannot be read."""
    try:
        with path.open(encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ConfigError(
                        f"{path}:{lineno}",
                        "(line)",
                        f"is not valid JSON ({e.msg} at column {e.colno})",
                        "write one complete JSON object per line",
                    ) from None
                if not isinstance(row, dict):
                    raise ConfigError(
                        f"{path}:{lineno}",
                        "(line)",
                        "is not a JSON object",
                        "write one {...} object per line",
                    )
                yield lineno, row
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(
            str(path), "(file)", f"cannot read it ({e})", "check the path and encoding"
        ) from None


def _item(row: dict[str, Any], source: JsonlSource, where: str, default_id: str) -> PromptItem:
    item_id = str(row.get("id", default_id))
    tags = _tags(row.get("tags"), where)
    if source.messages_field in row:
        try:
            parsed = MessagesPrompt.model_validate({"messages": row[source.messages_field]})
        except ValidationError as e:
            raise from_validation_error(e, where, MessagesPrompt) from None
        return PromptItem(id=item_id, messages=[m.model_dump() for m in parsed.messages], tags=tags)
    prompt = row.get(source.prompt_field)
    if not isinstance(prompt, str) or not prompt:
        raise ConfigError(
            where,
            source.prompt_field,
            "is missing or not a non-empty string",
            f'give each line a "{source.prompt_field}" string or a "{source.messages_field}" list '
            "(or set workload.source.prompt_field / messages_field)",
        )
    return PromptItem(id=item_id, prompt=prompt, tags=tags)


def _tags(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(value)
    raise ConfigError(where, "tags", "must be a string or a list of strings", 'write "tags": ["billing"]')
