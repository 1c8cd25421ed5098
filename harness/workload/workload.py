"""`Workload`: the prompts of a run and their sampling settings, handed out in a seeded order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from harness.protocol import PromptItem, SamplingParams


class Workload:
    """A fixed set of prompt items, cycled forever.

    With `shuffle` each pass over the items is a fresh permutation drawn from the seed given to
    `items`, so two iterators with the same seed yield the same sequence and workers given
    different seeds send in different orders.
    """

    def __init__(self, prompts: Sequence[PromptItem], params: SamplingParams, shuffle: bool = True) -> None:
        if not prompts:
            raise ValueError("a workload needs at least one prompt")
        self.prompts: tuple[PromptItem, ...] = tuple(prompts)
        self.shuffle = shuffle
        self._params = params

    def __len__(self) -> int:
        return len(self.prompts)

    def sampling_params(self) -> SamplingParams:
        """Settings for every request; an item's `expected_output_tokens` replaces `max_tokens`."""
        return self._params

    def items(self, seed: int) -> Iterator[PromptItem]:
        rng = np.random.default_rng(seed)
        n = len(self.prompts)
        while True:
            order = rng.permutation(n).tolist() if self.shuffle else range(n)
            for i in order:
                yield self.prompts[i]
