"""Prompts from a ShareGPT file: `[{"conversations": [{"from": "human", "value": ...}, ...]}, ...]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.config.errors import ConfigError
from harness.config.workload import ShareGPTSource
from harness.protocol import PromptItem

HUMAN = frozenset({"human", "user"})
GPT = frozenset({"gpt", "assistant"})


def estimate_tokens(text: str) -> int:
    """Tokens in English text by the common rule of thumb of about four characters per token."""
    return max(1, round(len(text) / 4))


def sharegpt_items(source: ShareGPTSource) -> list[PromptItem]:
    """The first human turn of each conversation, up to `source.limit`.

    Conversations without a human turn are skipped, and so, with `use_reference_output_len`,
    are those where no gpt turn answers it; that answer's estimated length becomes the item's
    `expected_output_tokens`. Raises `ConfigError` for a file that is not ShareGPT JSON.
    """
    data = read_sharegpt(source.path)
    items: list[PromptItem] = []
    for index, entry in enumerate(data):
        item = _item(entry, turns_of(entry, index, source.path), index, source)
        if item is not None:
            items.append(item)
            if source.limit is not None and len(items) >= source.limit:
                break
    if not items:
        raise ConfigError(
            str(source.path),
            "(file)",
            "holds no conversation with a usable human turn",
            "check the file is ShareGPT JSON (conversations of human and gpt turns)",
        )
    return items


def turns_of(entry: Any, index: int, path: Path) -> list[Any]:
    """The turns of conversation `index`; `ConfigError` when it has no list of them."""
    turns = entry.get("conversations") if isinstance(entry, dict) else None
    if not isinstance(turns, list):
        raise ConfigError(
            f"{path}",
            f"[{index}].conversations",
            "is missing or not a list",
            'give each entry "conversations": [{"from": "human", "value": "..."}, ...]',
        )
    return turns


def read_sharegpt(path: Path) -> list[Any]:
    """The list of conversations in a ShareGPT JSON file; `ConfigError` naming file:line otherwise."""
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"{path}:{e.lineno}",
            "(JSON syntax)",
            f"is not valid JSON ({e.msg} at column {e.colno})",
            "fix the JSON at that line",
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(
            str(path), "(file)", f"cannot read it ({e})", "check the path and encoding"
        ) from None
    if not isinstance(data, list):
        raise ConfigError(
            str(path),
            "(top level)",
            "is not a list of conversations",
            'write [{"conversations": [...]}, ...]',
        )
    return data


def _item(entry: dict[str, Any], turns: list[Any], index: int, source: ShareGPTSource) -> PromptItem | None:
    roles = [t.get("from") if isinstance(t, dict) else None for t in turns]
    first_human = next((i for i, role in enumerate(roles) if role in HUMAN), None)
    if first_human is None:
        return None
    prompt = turns[first_human].get("value")
    if not isinstance(prompt, str) or not prompt.strip():
        return None
    expected: int | None = None
    if source.use_reference_output_len:
        reply = turns[first_human + 1] if first_human + 1 < len(turns) else None
        if reply is None or reply.get("from") not in GPT or not isinstance(reply.get("value"), str):
            return None
        expected = estimate_tokens(reply["value"])
    item_id = str(entry.get("id", f"{source.path.stem}-{index}"))
    return PromptItem(id=item_id, prompt=prompt, expected_output_tokens=expected)
