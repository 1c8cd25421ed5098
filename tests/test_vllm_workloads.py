"""Production-shaped workloads against the real vLLM CPU build (prefix caching on, as vLLM v1 has
it by default): a trace whose requests share ``hash_ids`` blocks hits the prefix cache and gets a
lower TTFT than the same lengths unshared; multi-turn sessions send exactly the conversation so
far, as the model's own chat template and tokenizer count it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from harness.config.scenario import load_scenario
from harness.launch.server import LaunchedServer
from harness.protocol.tokenizer import TokenCounter
from harness.records.store import read_records
from harness.workload import build_workload
from tests._load_helpers import run_scenario, summary_of, write_scenario
from tests.support.vllm_env import tiny_model_dir

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

BLOCK = 128  # vLLM's CPU KV-cache block size
SHARED_BLOCKS = 12
INPUT_TOKENS = SHARED_BLOCKS * BLOCK + 64
REQUESTS = 40


def endpoint(server: LaunchedServer, api: str) -> dict[str, Any]:
    # The model's tokenizer makes synthetic words exactly one token each.
    return {
        "base_url": server.base_url,
        "model": server.model_id,
        "api": api,
        "tokenizer": str(tiny_model_dir() / "tokenizer.json"),
    }


def test_shared_hash_ids_hit_the_prefix_cache_and_lower_ttft(
    tmp_path: Path, vllm_server: LaunchedServer
) -> None:
    # Even lines share their first 12 blocks, odd lines have blocks of their own, same lengths;
    # interleaved, so both kinds meet the same machine load.
    trace = tmp_path / "trace.jsonl"
    rows = []
    for i in range(REQUESTS):
        first = 0 if i % 2 == 0 else 10_000 + 100 * i
        ids = [first + b for b in range(SHARED_BLOCKS)] + [50_000 + i]
        rows.append({"timestamp": 150 * i, "input_length": INPUT_TOKENS, "output_length": 4, "hash_ids": ids})
    trace.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    spec = {
        "name": "shared-prefix-trace",
        "endpoint": endpoint(vllm_server, "completions"),
        "workload": {"ignore_eos": True},
        "load": {"profile": {"type": "trace", "source": str(trace), "block_tokens": BLOCK}},
        "telemetry": {"server_metrics": {"interval_s": 0.5}},
        "publish": {"exporter": {"enabled": False}},
    }
    run_dir = run_scenario(tmp_path, spec)
    summary = summary_of(run_dir)
    records = read_records(run_dir)
    records["line"] = records["prompt_id"].str.removeprefix("trace-").astype(int)
    assert records["ok"].all() and len(records) == REQUESTS
    shared = records[(records["line"] % 2 == 0) & (records["line"] > 0)]
    unshared = records[records["line"] % 2 == 1]
    # vLLM's own counters over the run, and its per-response usage, both see the hits.
    counters = summary["server"]["prefix_cache"]
    assert counters["queries"] >= REQUESTS * INPUT_TOKENS and counters["hit_rate"] > 0.3
    assert (shared["cached_tokens"] >= (SHARED_BLOCKS - 1) * BLOCK).all()
    assert (unshared["cached_tokens"] == 0).all()
    reported = summary["prefix_cache"]
    assert reported["hit_requests"] == len(shared)
    assert reported["hit_rate"] == pytest.approx(records["cached_tokens"].sum() / records["n_in"].sum())
    # The cached blocks are not prefilled again: TTFT drops.
    hit_p50 = float(np.median(shared["ttft_s"]))
    miss_p50 = float(np.median(unshared["ttft_s"]))
    assert hit_p50 < 0.8 * miss_p50, (hit_p50, miss_p50)
    assert reported["ttft_ms"]["hit"]["p50"] < reported["ttft_ms"]["miss"]["p50"]
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Prefix cache" in report and "Server counters: prompt tokens looked up" in report


def test_each_turn_is_the_previous_prompt_its_answer_and_the_new_message(
    tmp_path: Path, vllm_server: LaunchedServer
) -> None:
    spec = {
        "name": "sessions",
        "endpoint": endpoint(vllm_server, "chat"),
        "workload": {
            "source": {
                "type": "conversations",
                "count": 8,
                "turns": {"type": "fixed", "value": 3},
                "user_tokens": {"type": "uniform", "min": 10, "max": 60},
                "answer_tokens": {"type": "fixed", "value": 12},
                "think_time_s": 0.05,
            },
            "system_prompt": "Answer in one line.",
            "ignore_eos": True,
        },
        "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 5},
        "publish": {"exporter": {"enabled": False}},
    }
    run_dir = run_scenario(tmp_path, spec)
    records = read_records(run_dir)
    scenario = load_scenario(write_scenario(tmp_path, spec))
    tokens = TokenCounter(tiny_model_dir() / "tokenizer.json")  # as the run drew its words
    conversations = {c.id: c for c in build_workload(scenario, tokens).conversations}
    count, section = _template_counter()
    checked = 0
    for _, rows in records.groupby("session_id"):
        rows = rows.sort_values("turn")
        conversation = conversations[rows["prompt_id"].iloc[0].rsplit("/", 1)[0]]
        messages = [{"role": "system", "content": conversation.system or ""}]
        previous: tuple[int, str] | None = None
        for turn, (n_in, answer) in enumerate(zip(rows["n_in"], rows["output_text"], strict=True), start=1):
            user = conversation.turns[turn - 1].user
            messages.append({"role": "user", "content": user})
            assert n_in == count(messages), (turn, n_in)
            if previous is not None:
                # The template renders "<|assistant|>\n{answer}\n<|user|>\n{user}\n<|assistant|>\n"
                # where turn k-1 ended with "<|assistant|>\n": turn k-1's prompt, the answer it got
                # and the new message, each between role markers (one token each).
                last_prompt, last_answer = previous
                expected = last_prompt + section(f"\n{last_answer}\n") + 1 + section(f"\n{user}\n") + 1
                assert n_in == expected, (turn, n_in, expected)
                checked += 1
            messages.append({"role": "assistant", "content": answer})
            previous = (n_in, answer)
    assert checked >= 4
    # The second turn finds the first turn's prompt in vLLM's prefix cache.
    turns = {t["turn"]: t for t in summary_of(run_dir)["turns"]}
    assert turns[1]["prefix_cache"]["reported"] and turns[2]["prefix_cache"]["hit_rate"] > 0


def _template_counter() -> tuple[Any, Any]:
    """Prompt tokens as vLLM counts a chat request (the model's chat template, then its tokenizer),
    and the tokens of a piece of text after a role marker (special tokens split the text, so each
    piece between them is tokenized on its own)."""
    from tokenizers import Tokenizer

    model = tiny_model_dir()
    template = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(
        (model / "chat_template.jinja").read_text(encoding="utf-8")
    )
    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))

    def count(messages: list[dict[str, str]]) -> int:
        text = template.render(messages=messages, add_generation_prompt=True)
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    def section(text: str) -> int:
        return len(tokenizer.encode("<|user|>" + text, add_special_tokens=False).ids) - 1

    return count, section
