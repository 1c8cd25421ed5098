"""Synthetic prompts: random common words with lengths drawn from the configured distributions."""

from __future__ import annotations

import numpy as np

from harness.config.workload import SyntheticSource
from harness.protocol import PromptItem
from harness.workload.lengths import sample_lengths
from harness.workload.words import random_words


def synthetic_items(source: SyntheticSource, seed: int) -> list[PromptItem]:
    """`source.count` prompts, the same for the same seed.

    Each is the shared prefix (`prefix_tokens` words, identical in every prompt) followed by
    its own words, as many as its sampled input length; its sampled output length becomes
    `expected_output_tokens`.
    """
    rng = np.random.default_rng(seed)
    prefix = random_words(rng, source.prefix_tokens)
    inputs = sample_lengths(source.input_tokens, source.count, rng)
    outputs = sample_lengths(source.output_tokens, source.count, rng)
    items = []
    for i, (n_in, n_out) in enumerate(zip(inputs.tolist(), outputs.tolist(), strict=True)):
        body = random_words(rng, n_in)
        items.append(
            PromptItem(
                id=f"synthetic-{i}",
                prompt=f"{prefix} {body}" if prefix else body,
                expected_output_tokens=n_out,
            )
        )
    return items
