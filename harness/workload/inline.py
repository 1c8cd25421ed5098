"""Prompts written in the scenario itself."""

from __future__ import annotations

from harness.config.workload import InlineSource, MessagesPrompt
from harness.protocol import PromptItem


def inline_items(source: InlineSource) -> list[PromptItem]:
    items = []
    for i, entry in enumerate(source.prompts):
        item_id = f"inline-{i}"
        if isinstance(entry, str):
            items.append(PromptItem(id=item_id, prompt=entry))
        elif isinstance(entry, MessagesPrompt):
            items.append(PromptItem(id=item_id, messages=[m.model_dump() for m in entry.messages]))
        else:
            items.append(PromptItem(id=item_id, prompt=entry.prompt))
    return items
