"""`PromptItem`: one prompt the workload hands to the load driver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PromptItem:
    """A chat conversation (`messages`) or a plain `prompt`: exactly one of them is set.

    Either form can be sent to either API: `build_request` wraps a prompt as one user message
    for chat, and flattens messages into one prompt for completions.
    """

    id: str
    messages: list[dict[str, Any]] | None = None
    prompt: str | None = None
    expected_output_tokens: int | None = None
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError(f"prompt item {self.id!r}: set exactly one of `messages` and `prompt`")
