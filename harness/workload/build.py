"""`build_workload`: a scenario's workload section turned into prompt items and sampling settings."""

from __future__ import annotations

from typing import Any

from harness.config.scenario import Scenario
from harness.config.workload import InlineSource, JsonlSource, ShareGPTSource, WorkloadConfig
from harness.protocol import PromptItem, SamplingParams
from harness.workload.inline import inline_items
from harness.workload.jsonl import jsonl_items
from harness.workload.sharegpt import sharegpt_items
from harness.workload.synthetic import synthetic_items
from harness.workload.workload import Workload


def build_workload(scenario: Scenario) -> Workload:
    """Read or generate the prompts; data file problems raise `ConfigError` naming file:line."""
    config = scenario.workload
    prompts = _source_items(config)
    if config.system_prompt is not None:
        prompts = [with_system_prompt(p, config.system_prompt) for p in prompts]
    params = SamplingParams(
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        seed=config.seed,
        ignore_eos=config.ignore_eos,
        min_tokens=config.min_tokens,
    )
    return Workload(prompts, params, shuffle=config.shuffle)


def _source_items(config: WorkloadConfig) -> list[PromptItem]:
    source = config.source
    if isinstance(source, InlineSource):
        return inline_items(source)
    if isinstance(source, JsonlSource):
        return jsonl_items(source)
    if isinstance(source, ShareGPTSource):
        return sharegpt_items(source)
    return synthetic_items(source, config.seed)


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
