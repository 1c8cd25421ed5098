"""Production log schema: what is accepted, what is skipped (reported as file:line), and when a
file is rejected as a whole."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.config.errors import ConfigError
from harness.drift.logs import read_logs
from harness.drift.sources import load_source

CHAT_RESPONSE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Refund sent."}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 31, "completion_tokens": 5, "total_tokens": 36},
}


def _line(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "timestamp": "2025-01-06T10:00:00Z",
        "request": {"messages": [{"role": "user", "content": "Where is my refund?"}]},
        "response": {"text": "It is on its way."},
        "usage": {"prompt_tokens": 12, "completion_tokens": 6},
        "latency": {"ttft_ms": 200, "e2e_ms": 700},
        "status": 200,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_accepted_shapes_become_the_same_columns(tmp_path: Path) -> None:
    lines = [
        _line(),  # ISO time, chat messages, {"text": ...}, top-level usage
        _line(
            timestamp=1736157600,  # epoch seconds: 2025-01-06T10:00:00Z
            request={
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": [{"type": "text", "text": "Refund?"}]},
                ]
            },
            response=CHAT_RESPONSE,  # usage and finish_reason from the OpenAI object
            usage=None,
            latency={"ttft_s": 0.25, "e2e_s": 1.25, "tpot_ms": 9.5},
        ),
        _line(
            timestamp=1736157600123,  # epoch milliseconds
            request={"prompt": "Complete: the order"},
            response={"choices": [{"text": " has shipped.", "finish_reason": "length"}]},
            correct=False,
            model="small-v2",
        ),
        _line(timestamp="2025-01-06T11:00:00", response=None, status=429, usage=None, latency={"e2e_ms": 40}),
        _line(status="error", error_kind="timeout_total", response=None, usage=None),
    ]
    frame, quality = read_logs([_write(tmp_path / "a.jsonl", lines)])
    assert quality.lines == 5 and quality.invalid == 0
    assert list(frame["prompt"]) == [
        "Where is my refund?",
        "Refund?",  # the system prompt is left out: only what the user wrote
        "Complete: the order",
        "Where is my refund?",
        "Where is my refund?",
    ]
    assert list(frame["output"][:3]) == ["It is on its way.", "Refund sent.", " has shipped."]
    assert frame["timestamp"][1] == pd.Timestamp("2025-01-06T10:00:00Z")
    assert frame["timestamp"][2] == pd.Timestamp("2025-01-06T10:00:00.123Z")
    assert frame["timestamp"][3] == pd.Timestamp("2025-01-06T11:00:00Z")  # naive = UTC
    assert list(frame["n_in"][:3]) == [12, 31, 12]
    assert list(frame["n_out"][:3]) == [6, 5, 6]
    # TPOT = (E2E - TTFT) / (N_out - 1) when not logged; as logged otherwise.
    assert frame["tpot_s"][0] == pytest.approx((0.7 - 0.2) / 5)
    assert frame["tpot_s"][1] == pytest.approx(0.0095)
    assert list(frame["finish_reason"][:3]) == [None, "stop", "length"]
    assert list(frame["error_kind"]) == [None, None, None, "http_429", "timeout_total"]
    assert list(frame["ok"]) == [True, True, True, False, False]
    assert frame["correct"].tolist()[2] == 0.0 and frame["correct"].isna().sum() == 4
    assert frame["model"][2] == "small-v2"


BAD_LINES: list[tuple[Any, str, str]] = [
    ("{not json", "(line)", "is not valid JSON"),
    ([1, 2], "(line)", "is not a JSON object"),
    (_line(timestamp=None), "timestamp", "is missing"),
    (_line(timestamp="last tuesday"), "timestamp", "is not ISO 8601"),
    (_line(request=None), "request", "is missing"),
    (_line(request={"messages": []}), "request.messages", "non-empty list"),
    (_line(status=302), "status", "must be 2xx, 4xx or 5xx"),
    (_line(status="error", response=None), "error_kind", "is required"),
    (_line(error_kind="rate_limited"), "error_kind", "unknown kind"),
    (_line(usage={"prompt_tokens": -3, "completion_tokens": 4}), "usage.prompt_tokens", "whole number ≥ 0"),
    (_line(usage={"prompt_tokens": 3, "completion_tokens": 4.5}), "usage.completion_tokens", "whole number"),
    (_line(latency={"ttft_ms": "fast"}), "latency.ttft_ms", "must be a number ≥ 0"),
    (_line(response=None), "response", "is missing for a successful request"),
    (_line(response={"choices": []}), "response.choices", "non-empty list"),
    (_line(correct="yes"), "correct", "must be true, false or null"),
]


@pytest.mark.parametrize(("line", "field", "problem"), BAD_LINES, ids=[b[1] + ":" + b[2] for b in BAD_LINES])
def test_a_bad_line_is_skipped_and_reported_with_file_line_and_field(
    tmp_path: Path, line: Any, field: str, problem: str
) -> None:
    path = _write(tmp_path / "logs.jsonl", [_line(), _line(), "", line, _line()])
    frame, quality = read_logs([path])
    assert len(frame) == 3  # the good lines are kept
    assert (quality.lines, quality.invalid) == (4, 1)  # blank lines are not counted
    issue = quality.issues[0]
    assert (issue.file, issue.line, issue.field) == (str(path), 4, field)
    assert problem in issue.problem
    assert str(issue).startswith(f"{path}:4: {field}: ")


def test_a_mostly_invalid_file_is_an_error_naming_file_and_first_bad_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "other.jsonl", [{"ts": 1, "msg": "x"}] * 3 + [_line()] * 2)
    with pytest.raises(ConfigError) as info:
        read_logs([path])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: timestamp: 3 of 5 lines are not valid log lines (first: line 1:")
    assert "docs/drift.md" in message


def test_half_invalid_still_reads_and_gz_folders_are_found(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    _write(folder / "a.jsonl", [_line(), "{broken"])
    with gzip.open(folder / "b.jsonl.gz", "wt") as handle:
        handle.write(json.dumps(_line(response={"text": "zipped"})) + "\n")
    (folder / "notes.txt").write_text("not a log")
    sample = load_source([folder], "--current")
    assert list(sample.frame["output"]) == ["It is on its way.", "zipped"]
    assert (sample.quality.lines, sample.quality.invalid) == (3, 1)
    assert str(sample.quality.issues[0]) == (
        f"{folder / 'a.jsonl'}:2: (line): "
        "is not valid JSON (Expecting property name enclosed in double quotes)"
    )


def test_sources_without_requests_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"--reference: holds no log files"):
        load_source([empty], "--reference")
    with pytest.raises(ConfigError, match=r"--current: does not exist"):
        load_source([tmp_path / "missing.jsonl"], "--current")
    blank = _write(tmp_path / "blank.jsonl", [""])
    with pytest.raises(ConfigError, match=r"--current: holds no usable requests"):
        load_source([blank], "--current")
