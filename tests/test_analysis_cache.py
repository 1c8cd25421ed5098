"""Prefix-cache visibility: cached tokens parsed from usage, the per-request summary block with TTFT
of hits and misses apart, vLLM's counters over a window, and per-turn summaries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from harness.analysis.cache import hit_rate, prefix_cache
from harness.analysis.meta import StageWindow
from harness.analysis.summary import summarize
from harness.protocol import StreamParser, parse_json_response
from harness.report.console import render_summary
from harness.telemetry import server_series as ss
from harness.telemetry.server_metrics import parse_page
from tests._analysis_fixtures import WINDOW_START, frame, meta, rec
from tests._telemetry_fixtures import FIXTURES

VLLM_PAGE = (FIXTURES / "metrics" / "vllm.txt").read_text()


def _usage_chunk(details: object) -> bytes:
    usage = {
        "prompt_tokens": 40,
        "completion_tokens": 2,
        "total_tokens": 42,
        "prompt_tokens_details": details,
    }
    return f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n".encode()


@pytest.mark.parametrize(
    ("details", "cached"), [({"cached_tokens": 32}, 32), (None, None), ({"cached_tokens": True}, None)]
)
def test_cached_tokens_come_from_usage_prompt_tokens_details(details: object, cached: int | None) -> None:
    parser = StreamParser()
    parser.feed(
        b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}\n\n', 0.1
    )
    parser.feed(_usage_chunk(details), 0.2)
    parser.feed(b"data: [DONE]\n\n", 0.2)
    assert parser.close(0.2).cached_tokens == cached
    body = {
        "choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 2, "prompt_tokens_details": details},
    }
    assert parse_json_response(json.dumps(body).encode(), 0.3).cached_tokens == cached


def test_the_prefix_cache_block_counts_hits_and_splits_ttft() -> None:
    rows = [rec(i, n_in=100, cached_tokens=64, ttft_s=0.01 * (i + 1)) for i in range(4)]
    rows += [rec(4 + i, n_in=100, cached_tokens=0, ttft_s=0.1 * (i + 1)) for i in range(3)]
    rows += [rec(9, n_in=100, ttft_s=1.0)]  # a response that said nothing about the cache
    block = prefix_cache(frame(rows))
    assert {
        k: block[k] for k in ("reported", "requests", "hit_requests", "cached_tokens", "prompt_tokens")
    } == {
        "reported": True,
        "requests": 7,
        "hit_requests": 4,
        "cached_tokens": 256,
        "prompt_tokens": 700,
    }
    assert block["hit_rate"] == pytest.approx(256 / 700)
    assert block["ttft_ms"]["hit"]["p50"] == pytest.approx(np.median([10, 20, 30, 40]))
    assert block["ttft_ms"]["miss"]["p50"] == pytest.approx(200.0)
    assert prefix_cache(frame([rec(0, n_in=10)])) == {"reported": False}
    assert hit_rate(5, 0) is None


def test_vllm_counters_over_a_window_are_the_change_between_bracketing_scrapes() -> None:
    late = parse_page(VLLM_PAGE, 10.0)
    rows = [(0.0, n, labels, le, 0.0) for _, n, labels, le, _ in late] + late
    rows = [
        (ts, n, lb, le, 40.0 if ts == 10.0 and n == ss.PREFIX_CACHE["hits"] else v)
        for ts, n, lb, le, v in rows
    ]
    metrics = pd.DataFrame(rows, columns=["ts", "name", "labels", "le", "value"])
    window = ss.window_prefix_cache(metrics, 0.0, 10.0)
    assert window == {"queries": 132.0, "hits": 40.0, "hit_rate": pytest.approx(40 / 132)}
    assert ss.window_summary(metrics, 0.0, 10.0)["prefix_cache"] == window
    no_counters = metrics[~metrics["name"].isin(list(ss.PREFIX_CACHE.values()))]
    assert ss.window_prefix_cache(no_counters, 0.0, 10.0) == {"queries": None, "hits": None, "hit_rate": None}


def test_turns_are_the_summary_of_each_turns_records_and_absent_without_sessions() -> None:
    rows = [
        rec(i, session_id=f"s{i % 3}", turn=1 + i // 3, n_in=50 * (1 + i // 3), ttft_s=0.05 * (1 + i // 3))
        for i in range(9)
    ]
    summary = summarize(frame(rows), meta())
    assert [t["turn"] for t in summary["turns"]] == [1, 2, 3]
    for turn in summary["turns"]:
        k = turn["turn"]
        assert set(turn) == {"turn", "requests", "tokens", "latency", "prefix_cache"}
        assert turn["requests"]["total"] == 3 and turn["tokens"]["input_total"] == 150 * k
        assert turn["latency"]["ttft_ms"]["p50"] == pytest.approx(50.0 * k)
    assert summarize(frame([rec(0)]), meta())["turns"] == []


def test_the_console_and_every_stage_show_the_prefix_cache() -> None:
    rows = [
        rec(i, n_in=100, cached_tokens=60 if i % 2 else 0, ttft_s=0.02 if i % 2 else 0.05) for i in range(6)
    ]
    stage = StageWindow("only", WINDOW_START - 1.0, WINDOW_START + 10.0)
    summary = summarize(frame([{**r, "stage": "only"} for r in rows]), meta(stages=[stage]))
    assert summary["stages"][0]["prefix_cache"] == summary["prefix_cache"]
    summary["server"] = {
        "available": True,
        "prefix_cache": {"queries": 600.0, "hits": 180.0, "hit_rate": 0.3},
    }
    console = Console(record=True, width=200, color_system=None)
    console.print(render_summary(summary))
    line = next(x for x in console.export_text().splitlines() if x.startswith("prefix cache"))
    assert "30.0 % of prompt tokens hit (server counters)" in line
    assert "3 of 6 responses hit, 30.0 % of their prompt tokens; TTFT p50 20.0 ms hit, 50.0 ms miss" in line
