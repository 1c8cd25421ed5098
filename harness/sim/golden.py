"""Golden mode: answer known golden items, right with a set probability.

A golden item is one JSONL line ``{"id", "messages": [...] | "prompt": str, "expected", "tags"}``
(other fields are ignored). Its key is the text of the last user message (or the prompt),
whitespace stripped; a request whose last user message (or prompt) has the same key gets the
item's answer. The right answer is ``expected`` (JSON-dumped when it is not a string). A wrong
answer is, for a string label, another string ``expected`` value seen in the loaded files
(seeded choice), otherwise ``"I am not sure."``. When two items share a key the first one wins.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.sim.config import SimConfigError
from harness.sim.tokens import content_text

UNSURE_ANSWER = "I am not sure."


@dataclass(frozen=True, slots=True)
class GoldenItem:
    item_id: str
    expected: Any
    tags: tuple[str, ...]

    @property
    def answer(self) -> str:
        return self.expected if isinstance(self.expected, str) else json.dumps(self.expected)


def last_user_text(messages: list[dict[str, Any]]) -> str | None:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return None


class GoldenBook:
    """The golden items the simulator knows, looked up by prompt key."""

    def __init__(self, items: dict[str, GoldenItem]) -> None:
        self._items = items
        self._labels = sorted({i.expected for i in items.values() if isinstance(i.expected, str)})

    def __len__(self) -> int:
        return len(self._items)

    def lookup(self, text: str | None) -> GoldenItem | None:
        if text is None or not self._items:
            return None
        return self._items.get(text.strip())

    def wrong_answer(self, item: GoldenItem, rng: random.Random) -> str:
        if isinstance(item.expected, str):
            others = [label for label in self._labels if label != item.expected]
            if others:
                return rng.choice(others)
        return UNSURE_ANSWER


def load_golden(paths: tuple[str, ...]) -> GoldenBook:
    """Load golden JSONL files; raises SimConfigError naming the file, line and fix."""
    items: dict[str, GoldenItem] = {}
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SimConfigError(
                f"golden file {path}: cannot read it ({exc.strerror}); check --golden"
            ) from None
        for number, line in enumerate(lines, start=1):
            if line.strip():
                key, item = _parse_item(path, number, line)
                items.setdefault(key, item)
    return GoldenBook(items)


def _parse_item(path: str, number: int, line: str) -> tuple[str, GoldenItem]:
    where = f"golden file {path} line {number}"
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SimConfigError(f"{where}: not valid JSON ({exc.msg}); write one JSON object per line") from None
    if not isinstance(raw, dict):
        raise SimConfigError(f"{where}: not a JSON object; write one object per line")
    if "expected" not in raw:
        raise SimConfigError(f"{where}: field 'expected' is missing; add the expected answer")
    messages, prompt = raw.get("messages"), raw.get("prompt")
    if isinstance(messages, list):
        key = last_user_text(messages)
        if key is None:
            raise SimConfigError(f"{where}: field 'messages' has no user message; add one")
    elif isinstance(prompt, str):
        key = prompt
    else:
        raise SimConfigError(f"{where}: needs 'messages' (a list) or 'prompt' (a string); add one")
    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise SimConfigError(f"{where}: field 'tags' must be a list of strings")
    item = GoldenItem(
        item_id=str(raw.get("id", f"{Path(path).name}:{number}")), expected=raw["expected"], tags=tuple(tags)
    )
    return key.strip(), item
