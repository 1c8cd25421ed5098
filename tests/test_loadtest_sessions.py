"""Multi-turn sessions end to end against the simulator: each turn sends the conversation so far
with the server's real answers, after the think time; sessions are the unit of concurrency; the
summary and report show each turn index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from harness.config.scenario import load_scenario
from harness.protocol.request import flatten_messages
from harness.records.store import read_records
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from harness.sim.tokens import count_text_tokens, render_chat
from harness.workload import build_workload
from harness.workload.conversations import Conversation
from tests._load_helpers import cli, summary_of, write_scenario

USERS = 3
THINK_S = 0.15


def sessions_spec(base_url: str, api: str) -> dict[str, Any]:
    return {
        "name": "sessions",
        "endpoint": {"base_url": base_url, "model": "sim-model", "api": api},
        "workload": {
            "source": {
                "type": "conversations",
                "count": 30,
                "turns": {"type": "uniform", "min": 2, "max": 4},
                "user_tokens": {"type": "uniform", "min": 5, "max": 40},
                "answer_tokens": {"type": "uniform", "min": 3, "max": 12},
                "think_time_s": THINK_S,
            },
            "system_prompt": "You answer briefly.",
            "ignore_eos": True,
        },
        "load": {"profile": {"type": "concurrency", "users": USERS}, "duration_s": 4},
        "publish": {"exporter": {"enabled": False}},
    }


def history(conversation: Conversation, answers: list[str], turn: int) -> list[dict[str, str]]:
    """The messages turn ``turn`` must carry: system, then each earlier turn and its real answer."""
    messages = [{"role": "system", "content": conversation.system or ""}]
    for number, step in enumerate(conversation.turns[:turn], start=1):
        messages.append({"role": "user", "content": step.user})
        if number < turn:
            messages.append({"role": "assistant", "content": answers[number - 1]})
    return messages


def sim_prompt_tokens(api: str, messages: list[dict[str, str]]) -> int:
    """The simulator's own count: ~4 characters a token over its chat rendering, or over the
    flattened text the harness sends to the completions API."""
    return count_text_tokens(render_chat(messages) if api == "chat" else flatten_messages(messages))


@pytest.mark.parametrize("api", ["chat", "completions"])
def test_each_turn_sends_the_conversation_so_far_with_the_real_answers(tmp_path: Path, api: str) -> None:
    with SimProcess(SimConfig(ttft_ms=10, itl_ms=2, prefill_ms_per_token=0.05, seed=3)) as sim:
        path = write_scenario(tmp_path, sessions_spec(sim.base_url, api))
        proc = cli("run", str(path), "--out", str(tmp_path / "runs"), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    records = read_records(run_dir)
    conversations = {c.id: c for c in build_workload(load_scenario(path)).conversations}
    assert records["ok"].all() and records["session_id"].notna().all()
    checked = 0
    for _, rows in records.groupby("session_id"):
        rows = rows.sort_values("turn")
        turns = rows["turn"].tolist()
        assert turns == list(range(1, len(turns) + 1))  # a session's turns, in order, none skipped
        conversation = conversations[rows["prompt_id"].iloc[0].rsplit("/", 1)[0]]
        answers = rows["output_text"].tolist()
        for k, n_in in zip(turns, rows["n_in"], strict=True):
            assert n_in == sim_prompt_tokens(api, history(conversation, answers, k))
            checked += k > 1
        # The next turn starts after the answer and the think time, never before.
        ends = (rows["sent_at"] + rows["e2e_s"]).to_numpy()[:-1]
        assert (rows["sent_at"].to_numpy()[1:] - ends >= THINK_S - 0.005).all()
        assert rows["n_out"].tolist() == [t.max_tokens for t in conversation.turns[: len(turns)]]
    assert checked >= 20
    assert _most_sessions_at_once(records) <= USERS

    summary = summary_of(run_dir)
    by_turn = {t["turn"]: t for t in summary["turns"]}
    measured = records[records["phase"] == "measure"]
    assert set(by_turn) == set(measured["turn"])
    for turn, block in by_turn.items():
        rows = measured[measured["turn"] == turn]
        assert block["requests"]["total"] == len(rows)
        assert block["tokens"]["input_total"] == int(rows["n_in"].sum())
        assert block["latency"]["ttft_ms"]["p50"] == pytest.approx(float(np.median(rows["ttft_s"] * 1000)))
    # Prompts grow turn by turn, and with the prefill cost so does TTFT.
    means = [by_turn[t]["tokens"]["input_total"] / by_turn[t]["requests"]["completed"] for t in (1, 2, 3)]
    assert means[0] < means[1] < means[2]
    assert by_turn[3]["latency"]["ttft_ms"]["p50"] > by_turn[1]["latency"]["ttft_ms"]["p50"]
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Turns of the sessions" in report
    assert "turns" in proc.stderr  # the console's per-turn table


def _most_sessions_at_once(records: pd.DataFrame) -> int:
    spans = records.groupby("session_id").agg(start=("sent_at", "min"), end=("sent_at", "max"))
    events = sorted(
        [(t, 1) for t in spans["start"]] + [(t, -1) for t in spans["end"]], key=lambda e: (e[0], e[1])
    )
    active = peak = 0
    for _, step in events:
        active += step
        peak = max(peak, active)
    return peak
