"""Trace replay inputs: the three trace formats, the replay window and speed-up, prompts built from
shared hash_ids blocks, and one-line errors naming file:line for bad traces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.config.errors import ConfigError
from harness.config.load import TraceProfile
from harness.config.scenario import load_scenario
from harness.protocol.tokenizer import TokenCounter
from harness.records.record import RequestRecord
from harness.records.store import RecordWriter
from harness.workload import build_workload
from harness.workload.blocks import BlockPrompts
from harness.workload.trace import END_MARGIN_S, TraceRequest, read_trace, replay_requests
from harness.workload.words import VOCABULARY, single_token_words
from tests.support.vllm_env import tiny_model_dir


def mooncake(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def scenario(tmp_path: Path, profile: dict[str, Any], workload: str = "{}") -> Path:
    path = tmp_path / "replay.yaml"
    path.write_text(f"workload: {workload}\nload:\n  profile: {json.dumps(profile)}\n", encoding="utf-8")
    return path


ROWS = [
    {"timestamp": 0, "input_length": 700, "output_length": 5, "hash_ids": [0, 1]},
    {"timestamp": 1500, "input_length": 600, "output_length": 7, "hash_ids": [0, 2]},
    {"timestamp": 1500, "input_length": 300, "output_length": 3, "hash_ids": [0]},
    {"timestamp": 9000, "input_length": 100, "output_length": 4},
]


def test_mooncake_times_count_from_the_first_request_in_seconds(tmp_path: Path) -> None:
    trace = read_trace(mooncake(tmp_path / "t.jsonl", ROWS), "mooncake")
    assert [r.at_s for r in trace] == [0.0, 1.5, 1.5, 9.0]
    assert [(r.input_tokens, r.output_tokens, r.hash_ids) for r in trace] == [
        (700, 5, (0, 1)),
        (600, 7, (0, 2)),
        (300, 3, (0,)),
        (100, 4, ()),
    ]
    assert trace[3].where == f"{tmp_path / 't.jsonl'}:4"


def test_the_run_lasts_the_sped_up_window_and_sends_its_requests_at_their_offsets(tmp_path: Path) -> None:
    source = mooncake(tmp_path / "t.jsonl", ROWS)
    profile = {"type": "trace", "source": str(source), "speedup": 4, "block_tokens": 512}
    assert load_scenario(scenario(tmp_path, profile)).load.duration_s == pytest.approx(9.0 / 4 + END_MARGIN_S)
    windowed = {**profile, "start_s": 1.0, "end_s": 8.0}
    spec = load_scenario(scenario(tmp_path, windowed))
    assert spec.load.duration_s == pytest.approx(7.0 / 4)
    replay = build_workload(spec).replay
    assert replay is not None
    assert replay.offsets_s == pytest.approx((0.5 / 4, 0.5 / 4))  # the two requests at 1.5 s
    assert [replay.item(i).expected_output_tokens for i in range(2)] == [7, 3]


def test_shared_hash_ids_are_shared_words_and_lengths_are_the_recorded_ones() -> None:
    prompts = BlockPrompts(block_tokens=256, seed=3)
    a = prompts.text(TraceRequest(0.0, 700, 5, (0, 1)), 0).split()
    b = prompts.text(TraceRequest(1.0, 600, 7, (0, 2)), 1).split()
    c = prompts.text(TraceRequest(1.0, 100, 3, (0,)), 2).split()
    d = prompts.text(TraceRequest(2.0, 700, 5, (7, 8)), 3).split()
    assert (len(a), len(b), len(c), len(d)) == (700, 600, 100, 700)
    assert a[:256] == b[:256]  # block 0 in both
    assert a[256:512] != b[256:512]  # blocks 1 and 2 differ
    assert c == a[:100]  # a partial block is the block's first words
    assert a[512:] != d[512:]  # words past the listed blocks are each request's own
    assert a[:256] != d[:256]
    again = BlockPrompts(block_tokens=256, seed=3).text(TraceRequest(0.0, 700, 5, (0, 1)), 0).split()
    assert again == a


def test_with_the_endpoint_tokenizer_synthetic_words_are_exactly_one_token_each() -> None:
    path = tiny_model_dir() / "tokenizer.json"
    if not path.is_file():
        pytest.skip("the tiny model's tokenizer is built by tests/support/vllm_env.py")
    tokens = TokenCounter(path)
    words = single_token_words(tokens)
    assert 32 <= len(words) < len(VOCABULARY)  # this tokenizer splits many English words
    prompts = BlockPrompts(block_tokens=128, seed=0, words=words)
    for n in (1, 129, 1000):
        assert tokens.count(prompts.text(TraceRequest(0.0, n, 1, (4, 5)), 0)) == n


def test_records_of_an_earlier_run_replay_its_send_times_and_token_counts(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path)
    base = 1_700_000_000.0
    rows = [  # written in completion order, not send order
        RequestRecord("a", "s", sent_at=base + 2.0, intended_at=base + 1.9, n_in=50, n_out=9, ok=True),
        RequestRecord("b", "s", sent_at=base + 0.5, n_in=40, n_out=8, ok=True),
        RequestRecord("c", "s", sent_at=base + 1.0, n_in=None, ok=False),  # failed before usage
        RequestRecord("d", "s", sent_at=base + 3.0, n_in=30, n_out=None, ok=False),
    ]
    writer.extend(rows)
    parquet = writer.close()
    trace = read_trace(parquet, "records")
    assert [(round(r.at_s, 6), r.input_tokens, r.output_tokens) for r in trace] == [
        (0.0, 40, 8),
        (1.4, 50, 9),
        (2.5, 30, None),
    ]


def test_openai_logs_use_usage_else_an_estimate(tmp_path: Path) -> None:
    lines = [
        {"timestamp": "2026-11-02T10:00:00Z", "request": {"messages": [{"role": "user", "content": "hi"}]},
         "response": "hello there", "usage": {"prompt_tokens": 12, "completion_tokens": 3}},
        {"timestamp": "2026-11-02T10:00:02.5Z", "request": {"prompt": "x" * 400}, "response": "y" * 80},
    ]  # fmt: skip
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    trace = read_trace(path, "openai-logs")
    assert [(r.at_s, r.input_tokens, r.output_tokens) for r in trace] == [(0.0, 12, 3), (2.5, 100, 20)]


@pytest.mark.parametrize(
    ("rows", "line", "field", "problem"),
    [
        ([{"timestamp": 0, "input_length": 5}], 1, "output_length", "is missing"),
        ([{"timestamp": 0, "input_length": 5, "output_length": 1}, {"input_length": 5, "output_length": 1}],
         2, "timestamp", "is missing"),
        ([{"timestamp": 10, "input_length": 5, "output_length": 1},
          {"timestamp": 5, "input_length": 5, "output_length": 1}], 2, "timestamp", "before the line above"),
        ([{"timestamp": -3, "input_length": 5, "output_length": 1}], 1, "timestamp", "negative"),
        ([{"timestamp": 0, "input_length": "5", "output_length": 1}], 1, "input_length", "whole number"),
        ([{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": [1, -2]}],
         1, "hash_ids", "≥ 0"),
    ],
)  # fmt: skip
def test_a_bad_mooncake_line_is_named_by_file_line_and_field(
    tmp_path: Path, rows: list[dict[str, Any]], line: int, field: str, problem: str
) -> None:
    path = mooncake(tmp_path / "bad.jsonl", rows)
    with pytest.raises(ConfigError) as caught:
        load_scenario(scenario(tmp_path, {"type": "trace", "source": str(path)}))
    error = caught.value
    assert (error.file, error.field) == (f"{path}:{line}", field)
    assert problem in error.problem


def test_too_many_blocks_or_too_long_requests_are_errors_naming_the_line(tmp_path: Path) -> None:
    path = mooncake(tmp_path / "t.jsonl", ROWS)
    with pytest.raises(ConfigError) as caught:
        load_scenario(scenario(tmp_path, {"type": "trace", "source": str(path), "block_tokens": 1024}))
    assert (caught.value.file, caught.value.field) == (f"{path}:1", "hash_ids")  # 700 tokens, 2 blocks
    with pytest.raises(ConfigError) as caught:
        load_scenario(scenario(tmp_path, {"type": "trace", "source": str(path), "max_context_tokens": 650}))
    assert (caught.value.file, caught.value.field) == (f"{path}:1", "input_length")
    assert "705 tokens" not in caught.value.problem and "exceed the context of 650" in caught.value.problem


def test_a_trace_profile_takes_no_workload_source_and_other_profiles_need_one(tmp_path: Path) -> None:
    path = mooncake(tmp_path / "t.jsonl", ROWS)
    with pytest.raises(ConfigError, match=r"workload\.source: is set, but the trace profile supplies"):
        load_scenario(
            scenario(
                tmp_path, {"type": "trace", "source": str(path)}, "{source: {type: inline, prompts: [x]}}"
            )
        )
    with pytest.raises(ConfigError, match=r"workload\.source: is missing"):
        path = tmp_path / "rate.yaml"
        path.write_text("workload: {}\nload: {profile: {type: rate, rate_rps: 1}, duration_s: 3}\n")
        load_scenario(path)


def test_an_empty_window_says_where_the_trace_ends(tmp_path: Path) -> None:
    path = mooncake(tmp_path / "t.jsonl", ROWS)
    profile = TraceProfile.model_validate({"type": "trace", "source": path, "start_s": 20})
    with pytest.raises(ConfigError, match=r"the trace spans 9 s"):
        replay_requests(profile)


def test_a_bad_log_line_stops_the_replay_with_the_drift_readers_own_words(tmp_path: Path) -> None:
    good = {"timestamp": 1_700_000_000, "request": {"prompt": "hi"}, "response": "hello"}
    path = tmp_path / "logs.jsonl"
    lines = [good, {**good, "status": 302}, {**good, "timestamp": 1_699_999_999}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_trace(path, "openai-logs")
    assert (caught.value.file, caught.value.field) == (f"{path}:2", "status")
    path.write_text("".join(json.dumps(line) + "\n" for line in (good, lines[2])), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_trace(path, "openai-logs")
    assert (caught.value.file, caught.value.field) == (f"{path}:2", "timestamp")
