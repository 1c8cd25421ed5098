"""Multi-turn sessions against a real llama.cpp ``llama-server``: its per-response cached-token
counts (``usage.prompt_tokens_details.cached_tokens``) reach the records, the summary and the
report."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.launch.server import LaunchedServer
from harness.records.store import read_records
from tests._load_helpers import run_scenario, summary_of
from tests.support.llamacpp_env import llamacpp_spec

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]


def test_later_turns_reuse_the_slot_cache_and_the_summary_says_how_much(tmp_path: Path) -> None:
    with LaunchedServer(llamacpp_spec(), tmp_path / "server") as server:
        spec = {
            "name": "llama-sessions",
            "endpoint": {"base_url": server.base_url, "model": server.model_id, "api": "chat"},
            "workload": {
                "source": {
                    "type": "conversations",
                    "count": 1000,  # no conversation comes round twice within the run
                    "turns": {"type": "fixed", "value": 3},
                    "user_tokens": {"type": "fixed", "value": 15},
                    "answer_tokens": {"type": "fixed", "value": 8},
                },
                "system_prompt": "Answer in one line.",
            },
            "load": {"profile": {"type": "concurrency", "users": 1}, "duration_s": 4},
            "publish": {"exporter": {"enabled": False}},
        }
        run_dir = run_scenario(tmp_path, spec)
    records = read_records(run_dir)
    assert records["ok"].all() and records["cached_tokens"].notna().all()
    later = records[records["turn"] > 1]
    assert len(later) >= 2
    # The conversation so far is in the slot's cache: at least the previous turn's prompt.
    previous = records.set_index(["session_id", "turn"])["n_in"]
    for _, row in later.iterrows():
        assert row["cached_tokens"] >= 0.8 * previous[(row["session_id"], row["turn"] - 1)]
    summary = summary_of(run_dir)
    reported = summary["prefix_cache"]
    assert reported["reported"] and reported["hit_requests"] >= len(later)
    assert reported["cached_tokens"] == int(records[records["phase"] == "measure"]["cached_tokens"].sum())
    assert summary["server"]["prefix_cache"]["queries"] is None  # llama-server has no such counters
    # A first turn shares only the system prompt with what came before; a second turn shares more.
    turns = {t["turn"]: t for t in summary["turns"]}
    assert turns[2]["prefix_cache"]["hit_rate"] > turns[1]["prefix_cache"]["hit_rate"]
    assert "Cached / prompt tokens" in (run_dir / "report.html").read_text(encoding="utf-8")
