"""summarize(): the summary.json content, with hand-counted numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.analysis import SCHEMA_VERSION, summarize
from harness.analysis.health import SCHEDULE_LAG_OVERLOAD_MS
from harness.records.record import RequestRecord
from harness.records.store import RecordWriter, read_records
from tests._analysis_fixtures import WINDOW_SECONDS, WINDOW_START, frame, meta, rec, synthetic

SLOS = {"slo_ttft_ms": 200.0, "slo_tpot_ms": 60.0, "slo_e2e_ms": 1000.0}

STABLE_KEYS: dict[str, tuple[str, ...]] = {
    "run": (
        "run_id",
        "scenario",
        "model",
        "endpoint",
        "api",
        "started_at",
        "ended_at",
        "partial",
        "partial_reason",
        "workers",
        "load_profile",
    ),
    "window": ("start", "end", "seconds"),
    "throughput": ("requests_per_s", "output_tokens_per_s", "total_tokens_per_s"),
    "requests": ("total", "completed", "errored", "warmup", "cooldown"),
    "errors": ("rate", "by_kind"),
    "goodput": ("requests_per_s", "slo_attainment", "slos"),
    "tokens": (
        "source",
        "estimated",
        "input_total",
        "output_total",
        "mismatch_rate",
        "tokens_per_chunk_mean",
    ),
    "concurrency": ("mean", "peak"),
    "health": ("overloaded", "schedule_lag_p99_ms", "client_cpu_max_percent", "warnings"),
}
LATENCY_KEYS = (
    "ttft_ms",
    "ttfc_ms",
    "tpot_ms",
    "itl_ms",
    "e2e_ms",
    "e2e_with_queueing_ms",
    "schedule_lag_ms",
)
STAT_KEYS = ("p50", "p90", "p95", "p99", "p99_9", "mean", "min", "max", "std", "count")


def run_rows() -> list[dict[str, Any]]:
    """8 measured requests (6 ok, 3 meeting every SLO), 2 slow warm-up and 1 failed cool-down."""
    measured = [
        rec(0, ttft_s=0.1, e2e_s=0.6, n_out=11, chunk_gaps_s=[0.05] * 10),  # meets all SLOs
        rec(1, ttft_s=0.3, e2e_s=0.8, n_out=11),
        rec(2, ttft_s=0.1, e2e_s=1.1, n_out=11),
        rec(3, ttft_s=0.1, e2e_s=0.9, n_out=1),  # meets all SLOs (no TPOT)
        rec(4, ttft_s=0.15, e2e_s=0.95, n_out=11),
        rec(5, ok=False, error_kind="http_5xx", e2e_s=0.01, error_detail="upstream failed"),
        rec(6, ok=False, error_kind="timeout_total", ttft_s=0.1, e2e_s=0.5, n_out=5, chunk_gaps_s=[0.1] * 4),
        rec(7, ttft_s=0.05, e2e_s=0.25, n_out=5, chunk_gaps_s=[0.05] * 4),  # meets all SLOs
    ]
    for row in measured:
        row |= {"n_in": 10, "n_content_chunks": row["n_out"] or 0}
    warmup = [rec(10 + i, phase="warmup", ttft_s=9.0, e2e_s=9.5, n_out=3, n_in=10) for i in range(2)]
    cooldown = [rec(20, phase="cooldown", ok=False, error_kind="http_5xx", e2e_s=0.01)]
    return measured + warmup + cooldown


def test_stable_keys_present_and_json_safe() -> None:
    summary = summarize(frame(run_rows()), meta(**SLOS))
    assert summary["schema_version"] == SCHEMA_VERSION == 1
    assert summary["percentile_method"] == "linear"
    for section, keys in STABLE_KEYS.items():
        assert set(keys) <= set(summary[section]), section
    for key in LATENCY_KEYS:
        assert tuple(summary["latency"][key]) == STAT_KEYS
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text) == summary


# The 6 completions end 1.25, 1.6, 1.8, 1.9, 1.95 and 2.1 s into the window: least-squares slope
# of their running count (1..6) against those times.
_DONE = np.array([1.25, 1.6, 1.8, 1.9, 1.95, 2.1])
SUSTAINED = float(np.polyfit(_DONE, np.arange(1, 7), 1)[0])


def test_counts_throughput_and_errors_exclude_warmup_and_cooldown() -> None:
    summary = summarize(frame(run_rows()), meta(**SLOS))
    assert summary["requests"] == {
        "total": 8,
        "completed": 6,
        "errored": 2,
        "warmup": 2,
        "cooldown": 1,
        "recorded": 11,  # every row of the records: warmup + total + cooldown
        "stale_connection_retries": 0,
    }
    assert summary["window"] == {"start": WINDOW_START, "end": WINDOW_START + 10.0, "seconds": 10.0}
    # 6 ok completed in the 10 s window; output 11+11+11+1+11+5 = 50 tokens; input 6 * 10 = 60.
    # 8 measured requests were sent (offered 0.8/s); the last ok one ended 2.1 s into the window.
    assert summary["throughput"] == pytest.approx(
        {
            "requests_per_s": 0.6,
            "output_tokens_per_s": 5.0,
            "total_tokens_per_s": 11.0,
            "offered_rps": 0.8,
            "drained_requests_per_s": 6 / 2.1,
            "sustained_requests_per_s": SUSTAINED,
        }
    )
    assert summary["tokens"]["output_total"] == 50
    assert summary["tokens"]["input_total"] == 60
    errors = summary["errors"]
    assert errors["rate"] == pytest.approx(0.25)
    assert {k: n for k, n in errors["by_kind"].items() if n} == {"http_5xx": 1, "timeout_total": 1}
    assert errors["by_kind"]["http_429"] == 0
    ttft = summary["latency"]["ttft_ms"]
    expected = np.percentile([100.0, 300.0, 100.0, 100.0, 150.0, 50.0], [50, 90, 95, 99, 99.9])
    assert [ttft[k] for k in ("p50", "p90", "p95", "p99", "p99_9")] == pytest.approx(list(expected))
    assert (ttft["count"], ttft["max"]) == (6, pytest.approx(300.0))  # the 9 s warm-up TTFTs are out


def test_goodput_with_slos_hand_count() -> None:
    goodput = summarize(frame(run_rows()), meta(**SLOS))["goodput"]
    assert goodput["slos"] == {"ttft_ms": 200.0, "tpot_ms": 60.0, "e2e_ms": 1000.0}
    assert goodput["meeting"] == 3
    assert goodput["requests_per_s"] == pytest.approx(0.3)
    assert goodput["slo_attainment"] == pytest.approx(3 / 8)


def test_goodput_without_slos_equals_throughput() -> None:
    summary = summarize(frame(run_rows()), meta())
    assert summary["goodput"]["slos"] == {}
    assert (
        summary["goodput"]["requests_per_s"] == summary["throughput"]["requests_per_s"] == pytest.approx(0.6)
    )
    assert summary["goodput"]["slo_attainment"] == pytest.approx(6 / 8)


def test_no_success_gives_none_not_zero() -> None:
    rows = frame([rec(i, ok=False, error_kind="connect", e2e_s=0.002) for i in range(4)])
    summary = summarize(rows, meta())
    for key in LATENCY_KEYS:
        stats = summary["latency"][key]
        assert stats["count"] == 0
        assert all(stats[k] is None for k in STAT_KEYS[:-1]), key
    assert summary["tokens"]["tokens_per_chunk_mean"] is None
    assert summary["errors"]["rate"] == 1.0
    assert summary["goodput"]["slo_attainment"] == 0.0
    assert any("No request succeeded" in w for w in summary["health"]["warnings"])
    json.dumps(summary, allow_nan=False)


def test_empty_run_gives_none_not_zero() -> None:
    summary = summarize(frame([]), meta())
    assert summary["requests"]["total"] == 0
    assert summary["errors"]["rate"] is None
    assert summary["goodput"]["slo_attainment"] is None
    assert summary["concurrency"] == {"mean": None, "peak": None}
    assert summary["tokens"]["source"] is None
    assert summary["latency"]["e2e_ms"]["p50"] is None
    json.dumps(summary, allow_nan=False)


def test_schedule_lag_overload_and_queueing_latency() -> None:
    lags = [0.001] * 95 + [0.4] * 5
    rows = frame(
        [rec(i, e2e_s=1.0, schedule_lag_s=lag, intended_at=WINDOW_START) for i, lag in enumerate(lags)]
    )
    summary = summarize(rows, meta())
    expected_p99 = float(np.percentile(np.array(lags) * 1000.0, 99))
    assert expected_p99 > SCHEDULE_LAG_OVERLOAD_MS
    assert summary["health"]["schedule_lag_p99_ms"] == pytest.approx(expected_p99)
    assert summary["health"]["overloaded"] is True
    assert any("fell behind" in w for w in summary["health"]["warnings"])
    queued = summary["latency"]["e2e_with_queueing_ms"]
    assert queued["max"] == pytest.approx(1400.0)
    assert queued["mean"] == pytest.approx(1000.0 + (95 * 1.0 + 5 * 400.0) / 100)

    calm = summarize(frame([rec(i, e2e_s=1.0, schedule_lag_s=0.002) for i in range(10)]), meta())
    assert calm["health"]["overloaded"] is False
    assert calm["health"]["warnings"] == []


def test_closed_loop_has_no_schedule_lag() -> None:
    summary = summarize(frame([rec(i, e2e_s=1.0) for i in range(5)]), meta())
    assert summary["health"] == {
        "failed": None,
        "client_capacity_rps": None,  # no CPU figures given
        "client_bound": False,
        "overloaded": False,
        "schedule_lag_p99_ms": None,
        "client_cpu_max_percent": None,
        "warnings": [],
    }
    assert summary["latency"]["e2e_with_queueing_ms"]["count"] == 0


def test_client_capacity_comes_from_cpu_per_request() -> None:
    rows = frame([rec(i, e2e_s=1.0) for i in range(10)])
    # 2 processes spent 0.2 CPU seconds on 10 requests: 20 ms each, 50 req/s each, 100 in all.
    cpu = {"cpu_seconds": 0.2, "processes": 2}
    calm = summarize(rows, meta(extra={"client_cpu": cpu}))["health"]  # 1 req/s offered
    assert calm["client_capacity_rps"] == pytest.approx(100.0)
    assert calm["client_bound"] is False
    busy = summarize(rows, meta(extra={"client_cpu": cpu}, window_end=WINDOW_START + 0.125))["health"]
    assert busy["client_bound"] is True  # 80 req/s offered, over 70 % of 100
    assert any("own capacity" in w for w in busy["warnings"])


def test_saturated_client_cpu_marks_the_run_overloaded() -> None:
    busy = {"threshold_percent": 90.0, "max_percent": 99.0, "mean_percent": 95.0, "saturated_s": 4.0}
    summary = summarize(frame([rec(i, e2e_s=1.0) for i in range(5)]), meta(extra={"client_cpu": busy}))
    assert summary["health"]["overloaded"] is True
    assert summary["health"]["client_cpu_max_percent"] == 99.0
    assert any("CPU was saturated" in w for w in summary["health"]["warnings"])
    brief = {**busy, "saturated_s": 1.0}
    calm = summarize(frame([rec(i, e2e_s=1.0) for i in range(5)]), meta(extra={"client_cpu": brief}))
    assert calm["health"]["overloaded"] is False


def test_token_source_estimate_and_mismatch() -> None:
    rows = frame(
        [
            rec(0, token_source="chunks", n_out=8, n_content_chunks=4, n_out_alt=8, e2e_s=1.0),
            rec(1, token_source="chunks", n_out=6, n_content_chunks=3, n_out_alt=9, e2e_s=1.0),
            rec(2, token_source="usage", n_out=5, n_content_chunks=5, e2e_s=1.0),
        ]
    )
    summary = summarize(rows, meta())
    tokens = summary["tokens"]
    assert tokens["source"] == "chunks"
    assert tokens["estimated"] is True
    assert tokens["mismatch_rate"] == pytest.approx(0.5)
    assert tokens["tokens_per_chunk_mean"] == pytest.approx((2.0 + 2.0 + 1.0) / 3)
    # No request reported its prompt size: unknown, not zero.
    assert tokens["input_total"] is None
    assert summary["throughput"]["total_tokens_per_s"] is None
    assert tokens["output_total"] == 19


def test_every_request_failed_fails_the_run_with_its_cause() -> None:
    rows = frame([rec(i, ok=False, error_kind="connect", ttft_s=None, e2e_s=0.01) for i in range(4)])
    health = summarize(rows, meta())["health"]
    assert health["failed"] == "every one of the 4 measured requests failed (connect 4)"
    assert not any("estimated" in w for w in health["warnings"])  # no token count to estimate


def test_error_rate_above_the_scenario_limit_fails_the_run() -> None:
    rows = frame([rec(i, ok=i > 0, error_kind=None if i else "http_5xx", e2e_s=1.0) for i in range(5)])
    assert summarize(rows, meta(max_error_rate=0.25))["health"]["failed"] is None
    failed = summarize(rows, meta(max_error_rate=0.1))["health"]["failed"]
    assert failed == (
        "20.0% of the 5 measured requests failed (http_5xx 1), more than load.max_error_rate 10.0%"
    )


def test_ttft_slo_on_answers_that_were_not_streamed_is_not_judged() -> None:
    whole = frame([rec(i, ttft_s=None, e2e_s=1.0 + i, n_out=16) for i in range(4)])
    summary = summarize(whole, meta(slo_ttft_ms=500.0, slo_e2e_ms=2500.0))
    goodput = summary["goodput"]
    assert goodput["not_measurable"] == ["ttft_ms"]
    assert goodput["slos"] == {"e2e_ms": 2500.0}
    assert goodput["slo_attainment"] == pytest.approx(0.5)  # judged on E2E alone: 1.0 s and 2.0 s pass
    assert summary["latency"]["ttft_ms"]["count"] == 0 and summary["latency"]["tpot_ms"]["count"] == 0
    assert any("ttft_ms not judged" in w for w in summary["health"]["warnings"])


def test_accuracy_only_with_ground_truth() -> None:
    with_truth = frame([rec(i, ttft_s=0.1 + i / 1000, truth_ttft_s=0.1, e2e_s=1.0) for i in range(5)])
    accuracy = summarize(with_truth, meta())["accuracy"]
    assert accuracy["ttft_error_ms"] == pytest.approx({"p50": 2.0, "p99": 3.96, "mean": 2.0, "count": 5})
    assert "e2e_error_ms" not in accuracy
    assert "accuracy" not in summarize(frame([rec(0, ttft_s=0.1)]), meta())


def test_run_section_and_extra_come_from_meta() -> None:
    summary = summarize(
        frame([rec(0)]), meta(partial=True, partial_reason="SIGINT", workers=4, extra={"cost": {"usd": 1.5}})
    )
    assert summary["run"]["partial"] is True
    assert summary["run"]["workers"] == 4
    assert summary["extra"] == {"cost": {"usd": 1.5}}
    assert summary["health"]["warnings"][0] == "Partial run: SIGINT."


def test_records_read_back_from_the_store_summarise_the_same(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path)
    writer.extend([RequestRecord(**row) for row in run_rows()])
    writer.close()
    from_store = summarize(read_records(tmp_path), meta(**SLOS))
    assert from_store == summarize(frame(run_rows()), meta(**SLOS))
    # ITL pools the gaps of the two successful requests that have them; the failed one's are out.
    assert from_store["latency"]["itl_ms"]["count"] == 14
    assert from_store["latency"]["itl_ms"]["mean"] == pytest.approx(50.0)


def test_100k_records_summarised_with_exact_pooled_counts() -> None:
    n, gaps = 100_000, 20
    records = synthetic(n, gaps)
    summary = summarize(records, meta())
    assert summary["requests"]["completed"] == n
    assert summary["latency"]["itl_ms"]["count"] == n * gaps
    assert summary["latency"]["tpot_ms"]["count"] == n
    expected = np.percentile(records["ttft_s"].to_numpy() * 1000.0, 99)
    assert summary["latency"]["ttft_ms"]["p99"] == pytest.approx(expected, rel=1e-12)
    # Throughput counts the responses that ended inside the 10 s window.
    ended_inside = (records["sent_at"] + records["e2e_s"]) <= WINDOW_START + WINDOW_SECONDS
    assert summary["throughput"]["requests_per_s"] == pytest.approx(ended_inside.sum() / 10.0)
    assert summary["throughput"]["output_tokens_per_s"] == pytest.approx(
        ended_inside.sum() * (gaps + 1) / 10.0
    )
    assert summary["throughput"]["offered_rps"] == pytest.approx(n / 10.0)


def test_gaps_read_batch_by_batch_give_numpys_itl_per_stage_and_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records read back without their chunk gaps, the gaps streamed from records.parquet a row
    group at a time (as ``finish_run`` does): every ITL block equals numpy's over that block's
    gaps, and the whole summary equals the one of the frame held in memory. Small row groups and
    selection limits make 6,000 requests take every path 3.6 million take."""
    from harness.analysis import selection
    from harness.analysis.gaps import file_batches
    from harness.analysis.meta import StageWindow
    from harness.analysis.metrics import SUMMARY_COLUMNS
    from harness.records import store

    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 700)
    monkeypatch.setattr(selection, "COLLECT_LIMIT", 2_000)
    monkeypatch.setattr(selection, "SPLIT_LIMIT", 4)
    n, per = 6_000, 12
    records = synthetic(n, per)
    records["stage"] = np.where(records["sent_at"] < WINDOW_START + 5.0, "low", "high")
    records["target"] = np.where(np.arange(n) % 3 == 0, "b", "a")
    records.loc[records.index % 97 == 0, "ok"] = False  # failures' gaps are left out
    writer = RecordWriter(tmp_path)
    for start in range(0, n, 500):  # flushed like a run: a batch a second
        rows = records.iloc[start : start + 500].to_dict("records")
        writer.extend([RequestRecord(**{k: _none_for_nan(v) for k, v in row.items()}) for row in rows])
        writer.flush()
    writer.close()
    stages = [
        StageWindow("low", WINDOW_START - 1.0, WINDOW_START + 5.0),
        StageWindow("high", WINDOW_START + 5.0, WINDOW_START + 11.0),
    ]
    run_meta = meta(stages=stages, targets=["a", "b"])
    streamed = summarize(
        read_records(tmp_path, SUMMARY_COLUMNS, compact=True), run_meta, file_batches(tmp_path)
    )
    # Equal but for the last bits of ITL means and deviations, summed in other chunks.
    assert _rounded(streamed) == _rounded(summarize(records, run_meta))

    def numpy_itl(rows: Any) -> list[float]:
        ok = rows[rows["ok"]]
        gaps = np.concatenate(ok["chunk_gaps_s"].tolist()) * 1000.0
        return [*np.percentile(gaps, [50, 90, 95, 99, 99.9]).tolist(), gaps.size]

    def ours(block: dict[str, Any]) -> list[float]:
        itl = block["latency"]["itl_ms"]
        return [itl["p50"], itl["p90"], itl["p95"], itl["p99"], itl["p99_9"], itl["count"]]

    assert ours(streamed) == pytest.approx(numpy_itl(records), rel=1e-12)
    for stage in streamed["stages"]:
        assert ours(stage) == pytest.approx(numpy_itl(records[records["stage"] == stage["name"]]), rel=1e-12)
    for target in streamed["targets"]:
        chosen = records[records["target"] == target["name"]]
        assert ours(target) == pytest.approx(numpy_itl(chosen), rel=1e-12)
        for stage in target["stages"]:
            assert ours(stage) == pytest.approx(
                numpy_itl(chosen[chosen["stage"] == stage["name"]]), rel=1e-12
            )


def _none_for_nan(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return None if isinstance(value, float) and value != value else value


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return float(f"{value:.13g}") if isinstance(value, float) else value
