"""Production request logs: OpenAI-style JSONL, one request per line (schema in docs/drift.md).

Lenient where real logs differ harmlessly (ISO or epoch timestamps, chat or completion
requests, a plain text or a whole OpenAI response object), strict where a wrong value would
skew a feature (types and ranges of counts and latencies, status, error kind). A bad line is
skipped and reported as ``file:line``; a file that is mostly bad is an error, since it is
almost certainly not in this schema at all.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from harness.config.errors import ConfigError
from harness.drift.sample import COLUMNS, FLOAT_COLUMNS, LogIssue, LogQuality, empty_frame
from harness.protocol.errors import ALL_KINDS, kind_for_status

LOG_SUFFIXES = (".jsonl", ".jsonl.gz")
# Epoch values above this are milliseconds (1e11 s is the year 5138).
_EPOCH_MS_ABOVE = 1e11
SCHEMA_DOC = "docs/drift.md (log schema)"


class BadLine(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


def log_files(path: Path) -> list[Path]:
    """``path`` itself, or the log files directly inside it when it is a folder."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(LOG_SUFFIXES))
    return [path]


def read_logs(files: Iterable[Path]) -> tuple[pd.DataFrame, LogQuality]:
    """Parse log files into sample rows (`harness.drift.sample.COLUMNS`) and a quality tally."""
    rows: list[tuple[Any, ...]] = []
    quality = LogQuality()
    for path in files:
        file_quality = _read_file(path, rows)
        if file_quality.lines and file_quality.invalid * 2 > file_quality.lines:
            first = file_quality.issues[0]
            raise ConfigError(
                str(path),
                first.field,
                f"{file_quality.invalid} of {file_quality.lines} lines are not valid log lines "
                f"(first: line {first.line}: {first.problem})",
                f"write one JSON object per line as described in {SCHEMA_DOC}",
            )
        quality.merge(file_quality)
    if not rows:
        return empty_frame(), quality
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    # Microsecond resolution: float epoch seconds carry no more, and would print as ...122999907.
    micros = (frame["timestamp"].to_numpy(dtype=float) * 1e6).round().astype("int64")
    frame["timestamp"] = pd.to_datetime(micros, unit="us", utc=True)
    frame = frame.astype({name: float for name in FLOAT_COLUMNS})
    frame["ok"] = frame["ok"].astype(bool)
    return frame, quality


def _read_file(path: Path, rows: list[tuple[Any, ...]]) -> LogQuality:
    quality = LogQuality()
    try:
        for number, text in read_lines(path):
            if not text.strip():
                continue
            quality.lines += 1
            try:
                rows.append(parse_line(json.loads(text)))
            except json.JSONDecodeError as e:
                quality.add(LogIssue(str(path), number, "(line)", f"is not valid JSON ({e.msg})"))
            except BadLine as e:
                quality.add(LogIssue(str(path), number, e.field, e.problem))
    except OSError as e:
        raise ConfigError(str(path), "(file)", f"cannot be read ({e})", "check the log path") from e
    except UnicodeDecodeError as e:
        raise ConfigError(str(path), "(file)", "is not UTF-8 text", "write the logs as UTF-8 JSONL") from e
    return quality


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a log file, gzipped or not."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    else:
        with path.open(encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)


def parse_line(obj: Any) -> tuple[Any, ...]:
    """One log object as a sample row; raises `BadLine` naming the offending field."""
    if not isinstance(obj, dict):
        raise BadLine("(line)", "is not a JSON object")
    timestamp = _timestamp(obj.get("timestamp"))
    prompt = _prompt(obj.get("request"))
    output, response_finish, response_usage = _response(obj.get("response"))
    ok_status = _status(obj.get("status"), has_response=output is not None)
    n_in, n_out = _usage(obj.get("usage", response_usage))
    ttft_s, tpot_s, e2e_s = _latency(obj.get("latency"))
    if tpot_s is None and ttft_s is not None and e2e_s is not None and n_out is not None and n_out >= 2:
        tpot_s = (e2e_s - ttft_s) / (n_out - 1)
    finish = obj.get("finish_reason", response_finish)
    if finish is not None and not isinstance(finish, str):
        raise BadLine("finish_reason", f"must be a string (got {_shown(finish)})")
    error_kind = _error_kind(obj.get("error_kind"), obj.get("status"), ok_status)
    if ok_status and output is None:
        raise BadLine("response", "is missing for a successful request")
    correct = _correct(obj.get("correct"))
    model = obj.get("model")
    if model is not None and not isinstance(model, str):
        raise BadLine("model", f"must be a string (got {_shown(model)})")
    ok = ok_status and error_kind is None
    return (
        timestamp,
        prompt,
        output,
        n_in,
        n_out,
        ttft_s,
        tpot_s,
        e2e_s,
        finish,
        error_kind,
        ok,
        correct,
        model,
    )


def _timestamp(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise BadLine(
            "timestamp", "is missing" if value is None else "must be ISO 8601 text or epoch seconds"
        )
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise BadLine("timestamp", f"is not a valid epoch time (got {_shown(value)})")
        return value / 1000.0 if value > _EPOCH_MS_ABOVE else float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise BadLine("timestamp", f"is not ISO 8601 (got {_shown(value)})") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # naive times in logs are UTC by convention
        return moment.timestamp()
    raise BadLine("timestamp", f"must be ISO 8601 text or epoch seconds (got {_shown(value)})")


def _prompt(request: Any) -> str:
    if request is None:
        raise BadLine("request", "is missing")
    if isinstance(request, str):
        return request
    if not isinstance(request, dict):
        raise BadLine("request", "must be an object with messages or prompt")
    if "messages" in request:
        return _messages_text(request["messages"])
    prompt = request.get("prompt")
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return "\n".join(prompt)
    raise BadLine("request", "has neither messages (a list) nor prompt (text)")


def _messages_text(messages: Any) -> str:
    """The user's words: user messages when there are any (a fixed system prompt would only
    dilute the text features), else every message."""
    if not isinstance(messages, list) or not messages:
        raise BadLine("request.messages", "must be a non-empty list of messages")
    texts: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadLine(f"request.messages[{index}]", "must be an object with role and content")
        texts.append((str(message.get("role", "")), _content_text(message.get("content"), index)))
    user = [text for role, text in texts if role == "user"]
    return "\n".join(user if user else [text for _, text in texts])


def _content_text(content: Any, index: int) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    raise BadLine(f"request.messages[{index}].content", "must be text or a list of content parts")


def _response(response: Any) -> tuple[str | None, str | None, Any]:
    """(text, finish_reason, usage) from plain text, ``{"text": ...}`` or an OpenAI response."""
    if response is None:
        return None, None, None
    if isinstance(response, str):
        return response, None, None
    if not isinstance(response, dict):
        raise BadLine("response", 'must be text, {"text": ...} or an OpenAI completion object')
    usage = response.get("usage")
    if "choices" not in response:
        text = response.get("text")
        if not isinstance(text, str):
            raise BadLine("response.text", "is missing or not text")
        return text, response.get("finish_reason"), usage
    choices = response["choices"]
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BadLine("response.choices", "must be a non-empty list of choice objects")
    choice = choices[0]
    message = choice.get("message")
    # Chat responses carry message.content (None when only tool calls came back); completions carry text.
    text = (message.get("content") or "") if isinstance(message, dict) else choice.get("text")
    if not isinstance(text, str):
        raise BadLine("response.choices[0]", "has no message.content or text")
    return text, choice.get("finish_reason"), usage


def _status(status: Any, has_response: bool) -> bool:
    """True when the request succeeded."""
    if status is None:
        if has_response:
            return True
        raise BadLine("status", "is missing and there is no response")
    if isinstance(status, str):
        word = status.lower()
        if word in ("ok", "error"):
            return word == "ok"
        raise BadLine("status", f'must be an HTTP status or "ok"/"error" (got {_shown(status)})')
    if isinstance(status, int) and not isinstance(status, bool):
        if 200 <= status < 300:
            return True
        if 400 <= status < 600:
            return False
    raise BadLine("status", f'must be 2xx, 4xx or 5xx, or "ok"/"error" (got {_shown(status)})')


def _error_kind(kind: Any, status: Any, ok_status: bool) -> str | None:
    if kind is not None:
        if kind not in ALL_KINDS:
            raise BadLine("error_kind", f"unknown kind {_shown(kind)}; use one of: {', '.join(ALL_KINDS)}")
        return str(kind)
    if ok_status:
        return None
    if isinstance(status, int):
        return kind_for_status(status)
    raise BadLine("error_kind", 'is required when status is "error"')


def _usage(usage: Any) -> tuple[float | None, float | None]:
    if usage is None:
        return None, None
    if not isinstance(usage, dict):
        raise BadLine("usage", "must be an object with prompt_tokens and completion_tokens")
    return _count(usage, "prompt_tokens"), _count(usage, "completion_tokens")


def _count(usage: dict[str, Any], key: str) -> float | None:
    value = usage.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
        raise BadLine(f"usage.{key}", f"must be a whole number ≥ 0 (got {_shown(value)})")
    return float(value)


def _latency(latency: Any) -> tuple[float | None, float | None, float | None]:
    if latency is None:
        return None, None, None
    if not isinstance(latency, dict):
        raise BadLine("latency", "must be an object with ttft_ms, e2e_ms (and tpot_ms)")
    return _seconds(latency, "ttft"), _seconds(latency, "tpot"), _seconds(latency, "e2e")


def _seconds(latency: dict[str, Any], name: str) -> float | None:
    """``<name>_ms`` in seconds, or ``<name>_s`` as given."""
    for key, scale in ((f"{name}_ms", 1e-3), (f"{name}_s", 1.0)):
        value = latency.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise BadLine(f"latency.{key}", f"must be a number ≥ 0 (got {_shown(value)})")
        return float(value) * scale
    return None


def _correct(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or value in (0, 1):
        return float(value)
    raise BadLine("correct", f"must be true, false or null (got {_shown(value)})")


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
