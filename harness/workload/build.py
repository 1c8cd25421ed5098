"""`build_workload`: a scenario's workload section turned into prompt items and sampling settings."""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.config.load import TraceProfile
from harness.config.scenario import Scenario
from harness.config.workload import (
    ConversationsSource,
    InlineSource,
    JsonlSource,
    ShareGPTSource,
    SyntheticSource,
)
from harness.protocol import PromptItem, SamplingParams
from harness.protocol.tokenizer import TokenCounter
from harness.workload.blocks import BlockPrompts
from harness.workload.conversations import conversations
from harness.workload.inline import inline_items
from harness.workload.jsonl import jsonl_items
from harness.workload.sharegpt import sharegpt_items
from harness.workload.synthetic import synthetic_items
from harness.workload.trace import check_context, replay_offsets, replay_requests
from harness.workload.words import single_token_words
from harness.workload.workload import Replay, Workload


def build_workload(
    scenario: Scenario, tokens: TokenCounter | None = None, max_model_len: int | None = None
) -> Workload:
    """Read or generate the prompts; data file problems raise `ConfigError` naming file:line.

    With the endpoint's tokenizer (`tokens`) synthetic text uses only words that are one token
    in it, so synthetic lengths are exact; `max_model_len` (the model's context, when the
    endpoint says) bounds a trace's requests unless the trace profile sets its own limit.
    """
    config = scenario.workload
    params = SamplingParams(
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        seed=config.seed,
        ignore_eos=config.ignore_eos,
        min_tokens=config.min_tokens,
    )
    words = single_token_words(tokens)
    profile, source = scenario.load.profile, config.source
    if isinstance(profile, TraceProfile):
        replay = _replay(profile, config.seed, words, max_model_len, config.system_prompt)
        return Workload([], params, shuffle=False, replay=replay)
    if isinstance(source, ConversationsSource):
        sessions = conversations(source, config.seed, config.system_prompt, words)
        return Workload([], params, shuffle=config.shuffle, conversations=sessions)
    assert source is not None  # the scenario requires a source without a trace profile
    prompts = _source_items(source, config.seed, words)
    if config.system_prompt is not None:
        prompts = [with_system_prompt(p, config.system_prompt) for p in prompts]
    return Workload(prompts, params, shuffle=config.shuffle)


def _replay(
    profile: TraceProfile, seed: int, words: np.ndarray, max_model_len: int | None, system_prompt: str | None
) -> Replay:
    requests = replay_requests(profile)
    if profile.max_context_tokens is None and max_model_len is not None:
        check_context(requests, profile.format, max_model_len, "the model's max_model_len")
    prompts = BlockPrompts(profile.block_tokens, seed, words)

    def item(i: int) -> PromptItem:
        built = prompts.item(requests[i], i)
        return built if system_prompt is None else with_system_prompt(built, system_prompt)

    return Replay(replay_offsets(profile, requests), item)


def _source_items(
    source: InlineSource | JsonlSource | ShareGPTSource | SyntheticSource, seed: int, words: np.ndarray
) -> list[PromptItem]:
    if isinstance(source, InlineSource):
        return inline_items(source)
    if isinstance(source, JsonlSource):
        return jsonl_items(source)
    if isinstance(source, ShareGPTSource):
        return sharegpt_items(source)
    return synthetic_items(source, seed, words)


def with_system_prompt(item: PromptItem, system_prompt: str) -> PromptItem:
    """The item as a conversation opening with `system_prompt`, unless it has a system message already."""
    system: dict[str, Any] = {"role": "system", "content": system_prompt}
    messages: list[dict[str, Any]]
    if item.messages is None:
        messages = [system, {"role": "user", "content": item.prompt}]
    elif any(m.get("role") == "system" for m in item.messages):
        return item
    else:
        messages = [system, *item.messages]
    return PromptItem(
        id=item.id, messages=messages, expected_output_tokens=item.expected_output_tokens, tags=item.tags
    )
