"""Request traces: when each request arrived, how long its prompt and answer were, which prompt
blocks it shared with others.

Three formats, read strictly (a bad line is a `ConfigError` naming file:line, field and fix):

- ``mooncake``: JSONL, one request per line, ``timestamp`` (ms), ``input_length``,
  ``output_length`` and optionally ``hash_ids`` (one id per block of ``block_tokens`` prompt
  tokens; equal ids are equal blocks), in time order;
- ``records``: an earlier run's ``records.parquet``: each request's intended (else actual) send
  time and its token counts; requests that never got token counts are left out;
- ``openai-logs``: the request logs ``slm-harness drift`` reads (docs/drift.md), with its
  validation; token counts from ``usage``, else estimated from the text; in time order.

Times are seconds after the trace's first request; a replay window ``[start_s, end_s)`` of the
trace is sent ``speedup`` times faster.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.errors import ConfigError
from harness.config.load import TraceProfile
from harness.workload.jsonl import json_rows
from harness.workload.sharegpt import estimate_tokens

MOONCAKE, RECORDS, OPENAI_LOGS = "mooncake", "records", "openai-logs"
# The field holding a request's prompt length, per format (named in errors).
INPUT_FIELD = {MOONCAKE: "input_length", RECORDS: "n_in", OPENAI_LOGS: "usage.prompt_tokens"}
# The last request is sent this long before the replay's end, so the schedule includes it.
END_MARGIN_S = 0.001


@dataclass(frozen=True, slots=True)
class TraceRequest:
    at_s: float  # seconds after the trace's first request
    input_tokens: int
    output_tokens: int | None  # None: the workload's max_tokens
    hash_ids: tuple[int, ...] = ()
    where: str = ""  # "file:line" (or "file row N") it was read from


def replay_requests(profile: TraceProfile) -> list[TraceRequest]:
    """The requests of the profile's window, checked against its block size and context limit."""
    requests = read_trace(profile.source, profile.format)
    end = math.inf if profile.end_s is None else profile.end_s
    kept = [r for r in requests if profile.start_s <= r.at_s < end]
    if not kept:
        raise ConfigError(
            str(profile.source),
            "load.profile.start_s",
            f"no request of the trace falls in the window [{profile.start_s:g}, {end:g}) s "
            f"(the trace spans {requests[-1].at_s:g} s)",
            "widen start_s/end_s (seconds after the trace's first request)",
        )
    for request in kept:
        _check_blocks(request, profile.block_tokens)
    if profile.max_context_tokens is not None:
        check_context(kept, profile.format, profile.max_context_tokens, "load.profile.max_context_tokens")
    return kept


def replay_offsets(profile: TraceProfile, requests: list[TraceRequest]) -> tuple[float, ...]:
    """Each request's send time in seconds after the replay's start (the window's start, sped up)."""
    return tuple((r.at_s - profile.start_s) / profile.speedup for r in requests)


def replay_seconds(profile: TraceProfile) -> float:
    """How long the replay lasts: the window (to its last request when it has no end), sped up."""
    if profile.end_s is not None:
        replay_requests(profile)
        return (profile.end_s - profile.start_s) / profile.speedup
    requests = replay_requests(profile)
    return replay_offsets(profile, requests)[-1] + END_MARGIN_S


def check_context(requests: list[TraceRequest], fmt: str, limit: int, limit_name: str) -> None:
    """`ConfigError` at the first request whose input + output tokens exceed `limit`."""
    for r in requests:
        total = r.input_tokens + (r.output_tokens or 0)
        if total > limit:
            raise ConfigError(
                r.where,
                INPUT_FIELD[fmt],
                f"input {r.input_tokens} + output {r.output_tokens or 0} tokens exceed the context "
                f"of {limit} tokens ({limit_name})",
                "drop or shorten the request, narrow the window (start_s/end_s), or raise the limit",
            )


def _check_blocks(request: TraceRequest, block_tokens: int) -> None:
    needed = -(-request.input_tokens // block_tokens)
    if len(request.hash_ids) > needed:
        raise ConfigError(
            request.where,
            "hash_ids",
            f"lists {len(request.hash_ids)} blocks but input_length {request.input_tokens} fills "
            f"only {needed} of {block_tokens} tokens",
            "set load.profile.block_tokens to the block size the trace was made with (Mooncake: 512)",
        )


def read_trace(path: Path, fmt: str) -> tuple[TraceRequest, ...]:
    """Every request of the trace file, in time order (cached while the file is unchanged)."""
    try:
        stat = path.stat()
    except OSError as e:
        raise ConfigError(str(path), "(file)", f"cannot read it ({e})", "check the path") from None
    return _read(path, fmt, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read(path: Path, fmt: str, mtime_ns: int, size: int) -> tuple[TraceRequest, ...]:
    if fmt == RECORDS:
        requests = _records(path)
    else:
        rows = _mooncake(path) if fmt == MOONCAKE else _openai_logs(path)
        requests = _in_order(rows)
    if not requests:
        raise ConfigError(
            str(path), "(file)", "holds no request", f"give a {fmt} trace with at least one request"
        )
    return tuple(requests)


def _in_order(rows: Iterator[tuple[float, int, int | None, tuple[int, ...], str, str]]) -> list[TraceRequest]:
    """Rows (absolute time, input, output, hash ids, where, time field) as requests timed from the
    first; a time before the previous line's is an error."""
    out: list[TraceRequest] = []
    first = previous = 0.0
    for at, n_in, n_out, ids, where, field in rows:
        if not out:
            first = previous = at
        elif at < previous:
            raise ConfigError(
                where,
                field,
                f"is {at - first:g} s after the first request, before the line above "
                f"({previous - first:g} s)",
                "sort the trace by time (the replay keeps the file's order)",
            )
        previous = at
        out.append(TraceRequest(at - first, n_in, n_out, ids, where))
    return out


def _mooncake(path: Path) -> Iterator[tuple[float, int, int | None, tuple[int, ...], str, str]]:
    for lineno, row in json_rows(path):
        where = f"{path}:{lineno}"
        stamp = row.get("timestamp")
        if stamp is None or isinstance(stamp, bool) or not isinstance(stamp, int | float):
            raise ConfigError(
                where,
                "timestamp",
                "is missing" if stamp is None else f"is not a number (got {json.dumps(stamp)[:40]})",
                "give each line a timestamp in milliseconds since the trace's start",
            )
        if not math.isfinite(stamp) or stamp < 0:
            raise ConfigError(
                where, "timestamp", f"is negative or not finite ({stamp})", "use milliseconds ≥ 0"
            )
        n_in = _count(row, "input_length", where, 1)
        n_out = _count(row, "output_length", where, 1)
        yield stamp / 1000.0, n_in, n_out, _hash_ids(row.get("hash_ids"), where), where, "timestamp"


def _count(row: dict[str, Any], field: str, where: str, minimum: int) -> int:
    value = row.get(field)
    if value is None or isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problem = (
            "is missing"
            if value is None
            else f"must be a whole number ≥ {minimum} (got {json.dumps(value)[:40]})"
        )
        raise ConfigError(where, field, problem, f"give each line {field}: a token count ≥ {minimum}")
    return value


def _hash_ids(value: Any, where: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(h, int) and not isinstance(h, bool) and h >= 0 for h in value
    ):
        raise ConfigError(where, "hash_ids", "must be a list of whole numbers ≥ 0", "write e.g. [0, 1, 2]")
    return tuple(value)


def _openai_logs(path: Path) -> Iterator[tuple[float, int, int | None, tuple[int, ...], str, str]]:
    from harness.drift.logs import BadLine, parse_line, read_lines  # the drift reader's validation

    try:
        for lineno, text in read_lines(path):
            if not text.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                stamp, prompt, output, n_in, n_out, *_ = parse_line(json.loads(text))
            except json.JSONDecodeError as e:
                raise ConfigError(
                    where, "(line)", f"is not valid JSON ({e.msg})", "write one JSON object per line"
                ) from None
            except BadLine as e:
                raise ConfigError(
                    where, e.field, e.problem, "fix the line (log schema: docs/drift.md)"
                ) from None
            n_in = int(n_in) if n_in is not None else estimate_tokens(prompt)
            if n_out is None and output:
                n_out = estimate_tokens(output)
            yield stamp, max(n_in, 1), None if n_out is None else max(int(n_out), 1), (), where, "timestamp"
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(
            str(path), "(file)", f"cannot read it ({e})", "check the path; logs are UTF-8 JSONL"
        ) from None


def _records(path: Path) -> list[TraceRequest]:
    try:
        table = pq.read_table(path, columns=["intended_at", "sent_at", "n_in", "n_out"])
    except (pa.ArrowException, OSError) as e:
        raise ConfigError(
            str(path),
            "(file)",
            f"is not a records.parquet of a run ({str(e).splitlines()[0][:80]})",
            "point at reports/runs/<run_id>/records.parquet",
        ) from None
    frame = table.to_pandas()
    frame["at"] = frame["intended_at"].fillna(frame["sent_at"])
    frame = frame[frame["n_in"].notna() & (frame["n_in"] > 0) & frame["at"].notna()]
    frame = frame.sort_values("at", kind="stable")
    if frame.empty:
        return []
    first = float(frame["at"].iloc[0])
    return [
        TraceRequest(
            float(at) - first,
            int(n_in),
            None if n_out != n_out or n_out < 1 else int(n_out),  # NaN: no count recorded
            (),
            f"{path} row {row}",
        )
        for row, at, n_in, n_out in zip(frame.index, frame["at"], frame["n_in"], frame["n_out"], strict=True)
    ]
