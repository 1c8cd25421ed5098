"""Golden mode: known items are answered right with the configured probability, wrong answers look real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from _sim_fixtures import CHAT_PATH, COMPLETIONS_PATH, chat_body, running_sim, stream, streaming

from harness.sim.config import SimConfig, SimConfigError
from harness.sim.golden import UNSURE_ANSWER, load_golden
from harness.sim.process import SimProcess, SimProcessError
from harness.sim.tokens import split_answer

LABELS = ["billing", "technical", "account", "shipping"]
INSTANT = {"ttft_ms": 0.0, "itl_ms": 0.0}


def _write_items(path: Path, items: list[dict[str, object]]) -> str:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return str(path)


@pytest.fixture
def label_set(tmp_path: Path) -> str:
    items = [
        {
            "id": f"t{i}",
            "messages": [
                {"role": "system", "content": "Classify the ticket."},
                {"role": "user", "content": f"Ticket number {i}: my thing is broken."},
            ],
            "expected": LABELS[i % 4],
            "tags": ["hard"] if i % 10 == 0 else ["easy"],
            "weight": 2,
        }
        for i in range(200)
    ]
    return _write_items(tmp_path / "tickets.jsonl", items)


def _ask(client: httpx.Client, i: int) -> str:
    body = {
        "messages": [
            {"role": "system", "content": "A different system prompt is fine."},
            {"role": "user", "content": f"  Ticket number {i}: my thing is broken.\n"},
        ],
        "max_tokens": 50,
    }
    return client.post(CHAT_PATH, json=body).json()["choices"][0]["message"]["content"]


def test_accuracy_matches_the_probability(label_set: str) -> None:
    with running_sim(golden_files=(label_set,), golden_accuracy=0.7, seed=2, **INSTANT) as (_, client):
        answers = [_ask(client, i) for i in range(200)]
    correct = sum(a == LABELS[i % 4] for i, a in enumerate(answers))
    # Binomial(200, 0.7): mean 140, sd 6.5; 4 sd either side.
    assert 114 <= correct <= 166
    # Wrong answers are other labels from the file, never the right one.
    assert all(a in LABELS for a in answers)


def test_tag_override_and_drift_accuracy(label_set: str) -> None:
    with running_sim(
        golden_files=(label_set,), golden_accuracy_by_tag={"hard": 0.0}, ttft_ms=0, itl_ms=0
    ) as (_, client):
        results = {i: _ask(client, i) == LABELS[i % 4] for i in range(0, 60)}
    assert [results[i] for i in range(0, 60, 10)] == [False] * 6  # tag "hard": accuracy 0
    assert all(ok for i, ok in results.items() if i % 10)  # the rest: default accuracy 1.0
    with running_sim(golden_files=(label_set,), drift_profile="accuracy-drop", **INSTANT) as (_, client):
        correct = sum(_ask(client, i) == LABELS[i % 4] for i in range(200))
    assert 136 <= correct <= 184  # the profile's 0.8 wins over the default 1.0: mean 160, sd 5.7


def test_answers_stream_as_whitespace_tokens(tmp_path: Path) -> None:
    path = _write_items(
        tmp_path / "qa.jsonl",
        [
            {"id": "a", "prompt": "Capital of France?", "expected": "The capital is  Paris."},
            {"id": "n", "prompt": "Six times seven?", "expected": 42},
            {"id": "o", "prompt": "As JSON", "expected": {"k": [1, 2]}},
        ],
    )
    with running_sim(golden_files=(path,), ttft_ms=0, itl_ms=1) as (_, client):
        result = stream(
            client, COMPLETIONS_PATH, streaming({"prompt": "Capital of France?", "max_tokens": 50})
        )
        pieces = [c["choices"][0]["text"] for c in result.json_events() if c["choices"]]
        assert pieces == ["The", " capital", " is", "  Paris."]
        assert result.usage_chunk()["usage"]["completion_tokens"] == 4
        assert result.json_events()[-2]["choices"][0]["finish_reason"] == "stop"
        number = client.post(COMPLETIONS_PATH, json={"prompt": "Six times seven?"}).json()
        assert number["choices"][0]["text"] == "42" and number["usage"]["completion_tokens"] == 1
        obj = client.post(COMPLETIONS_PATH, json={"prompt": "As JSON"}).json()["choices"][0]["text"]
        assert json.loads(obj) == {"k": [1, 2]}
        cut = client.post(COMPLETIONS_PATH, json={"prompt": "Capital of France?", "max_tokens": 2}).json()
        assert cut["choices"][0]["text"] == "The capital"
        assert cut["choices"][0]["finish_reason"] == "length"
        other = client.post(CHAT_PATH, json=chat_body("Not a golden question", max_tokens=3)).json()
        assert len(other["choices"][0]["message"]["content"].split()) == 3


def test_wrong_answer_without_other_labels_is_unsure(tmp_path: Path) -> None:
    path = _write_items(tmp_path / "n.jsonl", [{"prompt": "Two plus two?", "expected": 4}])
    with running_sim(golden_files=(path,), golden_accuracy=0.0, ttft_ms=0, itl_ms=0) as (_, client):
        text = client.post(COMPLETIONS_PATH, json={"prompt": "Two plus two?"}).json()["choices"][0]["text"]
    assert text == UNSURE_ANSWER


def test_split_answer_round_trips() -> None:
    for text in ["a b", "  lead", "trail  ", "x\n\ny z", ""]:
        assert "".join(split_answer(text)) == text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 1: not valid JSON"),
        ('{"prompt": "x"}', "line 1: field 'expected' is missing"),
        ('{"expected": "x"}', "needs 'messages' (a list) or 'prompt'"),
        ('{"prompt": "x", "expected": 1, "tags": "a"}', "field 'tags' must be a list of strings"),
    ],
)
def test_bad_golden_files_get_one_line_errors(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(SimConfigError, match=r"^golden file .*bad\.jsonl") as info:
        load_golden((str(path),))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_golden_file_fails_the_start_with_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.jsonl")
    with pytest.raises(
        SimProcessError, match=r"exited with code 2 while starting: error: golden file .*nope"
    ):
        SimProcess(SimConfig(golden_files=(missing,))).start()
    cli = subprocess.run(
        [sys.executable, "-m", "harness.sim", "--golden", missing], capture_output=True, text=True, timeout=30
    )
    assert cli.returncode == 2 and cli.stdout == ""
    assert cli.stderr.count("\n") == 1 and "cannot read it" in cli.stderr
