"""`Workload`: the prompts of a run and their sampling settings, handed out in a seeded order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from harness.protocol import PromptItem, SamplingParams
from harness.workload.conversations import Conversation

T = TypeVar("T")


@dataclass(frozen=True)
class Replay:
    """Prompts with send times of their own (a trace): prompt ``i`` is sent ``offsets_s[i]``
    seconds after the run's start; ``item(i)`` builds it (when it is due, so a long trace is
    never held in memory as text)."""

    offsets_s: tuple[float, ...]
    item: Callable[[int], PromptItem]


class Workload:
    """A fixed set of prompt items, cycled forever; or the conversations of multi-turn sessions,
    cycled the same way; or a trace's prompts, each sent once at its own time (``replay``).

    With `shuffle` each pass is a fresh permutation drawn from the seed given to `items` (or
    `sessions`), so two iterators with the same seed yield the same sequence and workers given
    different seeds send in different orders.
    """

    def __init__(
        self,
        prompts: Sequence[PromptItem],
        params: SamplingParams,
        shuffle: bool = True,
        *,
        conversations: Sequence[Conversation] = (),
        replay: Replay | None = None,
    ) -> None:
        if not prompts and not conversations and replay is None:
            raise ValueError("a workload needs at least one prompt")
        self.prompts: tuple[PromptItem, ...] = tuple(prompts)
        self.conversations: tuple[Conversation, ...] = tuple(conversations)
        self.replay = replay
        self.shuffle = shuffle
        self._params = params

    def __len__(self) -> int:
        return len(self.prompts)

    def sampling_params(self) -> SamplingParams:
        """Settings for every request; an item's `expected_output_tokens` replaces `max_tokens`."""
        return self._params

    def items(self, seed: int) -> Iterator[PromptItem]:
        return self._cycle(self.prompts, seed)

    def sessions(self, seed: int) -> Iterator[Conversation]:
        return self._cycle(self.conversations, seed)

    def _cycle(self, pool: tuple[T, ...], seed: int) -> Iterator[T]:
        rng = np.random.default_rng(seed)
        n = len(pool)
        while n:
            order = rng.permutation(n).tolist() if self.shuffle else range(n)
            for i in order:
                yield pool[i]
