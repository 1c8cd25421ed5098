"""Turns a scenario's workload section into prompt items: inline, JSONL, ShareGPT or synthetic."""

from harness.workload.build import build_workload, with_system_prompt
from harness.workload.lengths import sample_lengths
from harness.workload.sharegpt import estimate_tokens
from harness.workload.words import VOCABULARY, random_words
from harness.workload.workload import Workload

__all__ = [
    "VOCABULARY",
    "Workload",
    "build_workload",
    "estimate_tokens",
    "random_words",
    "sample_lengths",
    "with_system_prompt",
]
