"""Prompt text for trace requests, built from shared blocks.

Each hash id stands for one block of ``block_tokens`` words, the same words wherever the id
appears, so requests whose ids share a prefix share that prefix of text here (and a server's
prefix cache can reuse it). A request's last block may be partial (its first words); a request
longer than its blocks ends with words of its own. Everything is seeded: a replay sends the same
text every time.
"""

from __future__ import annotations

import functools

import numpy as np

from harness.protocol import PromptItem
from harness.workload.trace import TraceRequest
from harness.workload.words import WORDS

# Block texts kept for reuse; a block seen again after falling out is drawn again, identically.
BLOCK_CACHE = 4096


class BlockPrompts:
    def __init__(self, block_tokens: int, seed: int, words: np.ndarray = WORDS) -> None:
        self.block_tokens = block_tokens
        self.seed = seed
        self.words = words
        self._block = functools.lru_cache(maxsize=BLOCK_CACHE)(self._block_words)

    def item(self, request: TraceRequest, index: int) -> PromptItem:
        """Request ``index`` of the replay: its prompt, and its output length as ``max_tokens``."""
        return PromptItem(
            id=f"trace-{index}",
            prompt=self.text(request, index),
            expected_output_tokens=request.output_tokens,
        )

    def text(self, request: TraceRequest, index: int) -> str:
        parts: list[str] = []
        left = request.input_tokens
        for block_id in request.hash_ids:
            if left <= 0:
                break
            take = min(self.block_tokens, left)
            parts.append(" ".join(self._block(block_id)[:take]))
            left -= take
        if left > 0:
            rng = np.random.default_rng([self.seed, 1, index])
            parts.append(" ".join(self._draw(rng, left)))
        return " ".join(parts)

    def _block_words(self, block_id: int) -> tuple[str, ...]:
        return self._draw(np.random.default_rng([self.seed, 0, block_id]), self.block_tokens)

    def _draw(self, rng: np.random.Generator, n: int) -> tuple[str, ...]:
        return tuple(self.words[rng.integers(0, len(self.words), size=n)].tolist())
