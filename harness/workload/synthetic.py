"""Synthetic prompts: random common words with lengths drawn from the configured distributions."""

from __future__ import annotations

import numpy as np

from harness.config.workload import SharedPrefixes, SyntheticSource
from harness.protocol import PromptItem
from harness.workload.lengths import sample_lengths
from harness.workload.words import WORDS, random_words


def synthetic_items(source: SyntheticSource, seed: int, words: np.ndarray = WORDS) -> list[PromptItem]:
    """`source.count` prompts, the same for the same seed.

    Each is a shared prefix followed by its own words, as many as its sampled input length; its
    sampled output length becomes `expected_output_tokens`. The prefix is `prefix_tokens` words
    identical in every prompt, or one of `prefix.count` prefixes (see `prefixes_for`).
    """
    rng = np.random.default_rng(seed)
    prefix = random_words(rng, source.prefix_tokens, words)
    inputs = sample_lengths(source.input_tokens, source.count, rng)
    outputs = sample_lengths(source.output_tokens, source.count, rng)
    prefixes = (
        prefixes_for(source.prefix, source.count, seed, words)
        if source.prefix is not None
        else [prefix] * source.count
    )
    items = []
    for i, (n_in, n_out) in enumerate(zip(inputs.tolist(), outputs.tolist(), strict=True)):
        body = random_words(rng, n_in, words)
        start = prefixes[i]
        items.append(
            PromptItem(
                id=f"synthetic-{i}",
                prompt=f"{start} {body}" if start else body,
                expected_output_tokens=n_out,
            )
        )
    return items


def prefixes_for(spec: SharedPrefixes, n: int, seed: int, words: np.ndarray = WORDS) -> list[str]:
    """The prefix of each of `n` prompts: one of `spec.count` distinct prefixes of `spec.tokens`
    words, picked uniformly, for a random `spec.share` of them; an empty string for the others.

    Drawn from a generator of its own, so adding prefixes leaves the prompts' own words as they were.
    """
    rng = np.random.default_rng([seed, 1])
    distinct = [random_words(rng, spec.tokens, words) for _ in range(spec.count)]
    picks = rng.integers(0, spec.count, size=n).tolist()
    shared = (rng.random(n) < spec.share).tolist()
    return [distinct[p] if s else "" for p, s in zip(picks, shared, strict=True)]
