"""Conversation and shared-prefix sources: what each session's user side is, and how prompts
share prefixes; schema errors are one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.config.errors import ConfigError
from harness.config.scenario import load_scenario
from harness.config.workload import SyntheticSource
from harness.workload import build_workload
from harness.workload.synthetic import synthetic_items

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workload"
CLOSED = "load: {profile: {type: concurrency, users: 2}, duration_s: 5}\n"


def load(tmp_path: Path, workload: str, load_yaml: str = CLOSED) -> Path:
    shutil.copy(FIXTURES / "sharegpt.json", tmp_path / "sharegpt.json")
    path = tmp_path / "scn.yaml"
    path.write_text(f"workload:\n{workload}{load_yaml}", encoding="utf-8")
    return path


def test_synthetic_conversations_have_their_turns_lengths_and_think_times(tmp_path: Path) -> None:
    spec = load_scenario(
        load(
            tmp_path,
            "  source: {type: conversations, count: 40, turns: {type: uniform, min: 2, max: 5},\n"
            "           user_tokens: {type: fixed, value: 12}, answer_tokens: {type: fixed, value: 9},\n"
            "           think_time_s: 0.5}\n"
            "  system_prompt: Be brief.\n",
        )
    )
    sessions = build_workload(spec).conversations
    assert len(sessions) == 40 and len({c.id for c in sessions}) == 40
    counts = [len(c.turns) for c in sessions]
    assert min(counts) == 2 and max(counts) == 5
    for conversation in sessions:
        assert conversation.system == "Be brief."
        assert [t.think_s for t in conversation.turns] == [0.0] + [0.5] * (len(conversation.turns) - 1)
        assert all(len(t.user.split()) == 12 and t.max_tokens == 9 for t in conversation.turns)
    assert build_workload(spec).conversations == sessions  # seeded


def test_exponential_think_times_average_the_mean(tmp_path: Path) -> None:
    spec = load_scenario(
        load(
            tmp_path,
            "  source: {type: conversations, count: 400, turns: {type: fixed, value: 6},\n"
            "           user_tokens: {type: fixed, value: 3}, think_time_s: 2, think_time: exponential}\n",
        )
    )
    thinks = np.array([t.think_s for c in build_workload(spec).conversations for t in c.turns[1:]])
    assert thinks.size == 2000 and thinks.min() > 0
    assert thinks.mean() == pytest.approx(2.0, rel=0.1)


def test_sharegpt_conversations_keep_every_human_turn_and_reference_lengths(tmp_path: Path) -> None:
    spec = load_scenario(load(tmp_path, "  source: {type: conversations, path: sharegpt.json}\n"))
    sessions = build_workload(spec).conversations
    assert [c.id for c in sessions] == ["c1", "c2", "c4"]
    assert [t.user for t in sessions[1].turns] == ["Write two lines about rain.", "Now about snow."]
    assert all(t.max_tokens is None for c in sessions for t in c.turns)
    spec = load_scenario(
        load(
            tmp_path, "  source: {type: conversations, path: sharegpt.json, use_reference_output_len: true}\n"
        )
    )
    sessions = build_workload(spec).conversations
    # A human turn nobody answered has no reference length: its conversation ends before it.
    assert [c.id for c in sessions] == ["c1", "c2"]
    assert [t.max_tokens for t in sessions[1].turns] == [9, 6]  # estimated: ~4 characters a token


@pytest.mark.parametrize(
    ("workload", "load_yaml", "message"),
    [
        (
            "  source: {type: conversations, turns: {type: fixed, value: 2}}\n",
            CLOSED,
            "user_tokens: is required",
        ),
        (
            "  source: {type: conversations, path: sharegpt.json, turns: {type: fixed, value: 2}}\n",
            CLOSED,
            "path: is set together with synthetic",
        ),
        (
            "  source: {type: conversations, turns: {type: fixed, value: 2},\n"
            "           user_tokens: {type: fixed, value: 2}}\n",
            "load: {profile: {type: rate, rate_rps: 2}, duration_s: 5}\n",
            "load.profile.type: conversations run as sessions held by users",
        ),
    ],
)
def test_conversation_mistakes_are_one_line(
    tmp_path: Path, workload: str, load_yaml: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_scenario(load(tmp_path, workload, load_yaml))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def synthetic(**fields: object) -> SyntheticSource:
    spec: dict[str, object] = {
        "type": "synthetic",
        "input_tokens": {"type": "fixed", "value": 10},
        "output_tokens": {"type": "fixed", "value": 4},
        "count": 2000,
        **fields,
    }
    return SyntheticSource.model_validate(spec)


def test_shared_prefixes_are_drawn_per_prompt_for_the_given_share() -> None:
    items = synthetic_items(synthetic(prefix={"count": 5, "tokens": 30, "share": 0.6}), seed=2)
    words = [(i.prompt or "").split() for i in items]
    with_prefix = [w for w in words if len(w) == 40]
    assert {len(w) for w in words} == {10, 40}
    assert len(with_prefix) / len(words) == pytest.approx(0.6, abs=0.04)
    prefixes = [" ".join(w[:30]) for w in with_prefix]
    assert len(set(prefixes)) == 5
    counts = np.array([prefixes.count(p) for p in set(prefixes)])
    assert counts.min() > 0.7 * counts.mean()  # picked uniformly
    assert len({" ".join(w[-10:]) for w in words}) == 2000


def test_prefixes_leave_the_prompts_own_words_unchanged() -> None:
    plain = synthetic_items(synthetic(count=50), seed=4)
    prefixed = synthetic_items(synthetic(count=50, prefix={"count": 2, "tokens": 5}), seed=4)
    assert [(p.prompt or "").split()[-10:] for p in prefixed] == [(p.prompt or "").split() for p in plain]


def test_one_kind_of_prefix_at_a_time() -> None:
    with pytest.raises(ValueError, match="prefix_tokens"):
        synthetic(prefix_tokens=5, prefix={"count": 2, "tokens": 5})
