"""A/B against real servers: the real vLLM CPU build and llama-server serving the same tiny model
(the GGUF is the same weights converted), one schedule fanned out to both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.records.store import read_records
from tests._load_helpers import run_scenario, summary_of

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

PROMPTS = [
    "Name a colour.",
    "Say hello to the team.",
    "What is a load test?",
    "Write one word about the sea.",
    "Count to three.",
    "Describe a cat in a sentence.",
]


def real_ab_scenario(vllm: Any, llama: Any, duration_s: float = 8, rate_rps: float = 3) -> dict[str, Any]:
    return {
        "name": "vllm-vs-llamacpp",
        "targets": [
            # The completions API: both servers see the same prompt text (their chat templates differ).
            {"name": "vllm", "base_url": vllm.base_url, "model": vllm.model_id, "api": "completions"},
            {"name": "llamacpp", "base_url": llama.base_url, "model": llama.model_id, "api": "completions"},
        ],
        "workload": {"source": {"type": "inline", "prompts": PROMPTS}, "max_tokens": 24, "temperature": 0},
        "load": {
            "profile": {"type": "rate", "rate_rps": rate_rps, "arrival": "constant"},
            "duration_s": duration_s,
        },
    }


def test_real_servers_compared_with_agreement(tmp_path: Path, vllm_server: Any, llama_server: Any) -> None:
    run = run_scenario(tmp_path, real_ab_scenario(vllm_server, llama_server))
    summary = summary_of(run)
    blocks = {block["name"]: block for block in summary["targets"]}
    assert set(blocks) == {"vllm", "llamacpp"}
    for block in blocks.values():
        assert block["requests"]["completed"] == block["requests"]["total"] >= 15
        assert block["tokens"]["source"] == "usage"
    (agreement,) = summary["compare"]["agreement"]
    assert agreement["paired_by"] == "pair_id"
    assert agreement["pairs"] == blocks["llamacpp"]["requests"]["completed"]
    records = read_records(run)
    answers = records.dropna(subset=["pair_id"]).pivot(
        index="pair_id", columns="target", values="output_text"
    )
    # Recomputed from the records: the share of pairs answered with identical text.
    exact = float((answers["vllm"].str.strip() == answers["llamacpp"].str.strip()).mean())
    assert agreement["exact"] == pytest.approx(exact)
    assert 0.0 <= agreement["exact"] <= agreement["normalized"] <= 1.0
    # Greedy decoding of the same prompt: each server answers a prompt the same way every time.
    for name in ("vllm", "llamacpp"):
        mine = records[records["target"] == name]
        assert (mine.groupby("prompt_id")["output_text"].nunique() == 1).all(), name
    compare = json.loads((run / "compare.json").read_text())
    assert [s["label"] for s in compare["sides"]] == ["vllm", "llamacpp"]
