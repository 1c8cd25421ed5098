"""The metric formulas, checked against hand-computed values and independent numpy calls."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis import metrics as m
from harness.analysis.stats import describe
from tests._analysis_fixtures import WINDOW_START, frame, rec


def test_describe_matches_numpy_on_raw_samples() -> None:
    samples = np.random.default_rng(1).lognormal(0.0, 1.0, 2001)
    stats = describe(samples, 1000.0)
    scaled = samples * 1000.0
    expected = np.percentile(scaled, [50, 90, 95, 99, 99.9])
    got = [stats[k] for k in ("p50", "p90", "p95", "p99", "p99_9")]
    assert got == pytest.approx(list(expected), rel=1e-12)
    assert stats["mean"] == pytest.approx(scaled.mean(), rel=1e-12)
    assert stats["std"] == pytest.approx(scaled.std(), rel=1e-12)
    assert (stats["min"], stats["max"], stats["count"]) == (scaled.min(), scaled.max(), 2001)
    assert all(type(v) is float for k, v in stats.items() if k != "count")


def test_describe_interpolates_linearly_between_samples() -> None:
    # Ranks of [10, 20, 30, 40] at p50 and p90 under linear interpolation: 25 and 37.
    stats = describe(np.array([0.04, 0.01, 0.03, 0.02]), 1000.0)
    assert stats["p50"] == pytest.approx(25.0)
    assert stats["p90"] == pytest.approx(37.0)


def test_describe_without_samples_is_none_not_zero() -> None:
    stats = describe(np.array([np.nan, np.nan]))
    assert stats["count"] == 0
    assert all(stats[k] is None for k in ("p50", "p99_9", "mean", "min", "max", "std"))


def test_tpot_excludes_requests_with_fewer_than_two_tokens() -> None:
    rows = frame(
        [
            rec(0, ttft_s=0.1, e2e_s=1.1, n_out=11),  # (1.1 - 0.1) / 10 = 100 ms
            rec(1, ttft_s=0.2, e2e_s=0.7, n_out=3),  # 0.5 / 2 = 250 ms
            rec(2, ttft_s=0.1, e2e_s=0.5, n_out=1),  # undefined
            rec(3, ttft_s=0.1, e2e_s=0.5, n_out=0),  # undefined
            rec(4, ttft_s=0.1, e2e_s=0.5, n_out=None),  # unknown
        ]
    )
    tpot_ms = m.tpot_s(rows) * 1000.0
    assert tpot_ms[:2] == pytest.approx([100.0, 250.0])
    assert np.isnan(tpot_ms[2:]).all()
    assert describe(m.tpot_s(rows), 1000.0)["count"] == 2


def test_itl_pools_every_gap_of_every_request() -> None:
    rows = frame(
        [
            rec(0, chunk_gaps_s=[0.01, 0.02]),
            rec(1, chunk_gaps_s=[0.03]),
            rec(2, chunk_gaps_s=[]),
        ]
    )
    stats = describe(m.itl_s(rows), 1000.0)
    # Pooled: mean of 10, 20, 30 = 20 ms (the mean of per-request means would be 22.5).
    assert stats["count"] == 3
    assert stats["mean"] == pytest.approx(20.0)
    assert stats["p50"] == pytest.approx(20.0)
    assert m.itl_s(frame([])).size == 0


def test_error_counts_classify_unlabelled_failures_as_client() -> None:
    rows = frame(
        [
            rec(0),
            rec(1, ok=False, error_kind="http_429"),
            rec(2, ok=False, error_kind="http_429"),
            rec(3, ok=False, error_kind="timeout_total"),
            rec(4, ok=False, error_kind=None),
        ]
    )
    assert m.error_counts(rows) == {"client": 1, "http_429": 2, "timeout_total": 1}


def test_slo_met_hand_count() -> None:
    slos = {"ttft_ms": 200.0, "tpot_ms": 60.0, "e2e_ms": 1000.0}
    rows = frame(
        [
            rec(0, ttft_s=0.1, e2e_s=0.6, n_out=11),  # tpot 50: meets all
            rec(1, ttft_s=0.3, e2e_s=0.8, n_out=11),  # ttft 300 > 200
            rec(2, ttft_s=0.1, e2e_s=1.1, n_out=11),  # tpot 100, e2e 1100
            rec(3, ttft_s=0.1, e2e_s=0.9, n_out=1),  # no tpot: passes it vacuously
            rec(4, ttft_s=0.15, e2e_s=0.95, n_out=11),  # tpot 80 > 60
            rec(5, ok=False, error_kind="http_5xx"),  # errors fail
            rec(6, ok=False, error_kind="timeout_total", ttft_s=0.1, e2e_s=0.5, n_out=5),
            rec(7, ttft_s=0.05, e2e_s=0.25, n_out=5),  # tpot 50: meets all
        ]
    )
    assert m.slo_met(rows, slos).tolist() == [True, False, False, True, False, False, False, True]
    assert m.slo_met(rows, {}).tolist() == [True] * 5 + [False, False, True]


def test_concurrency_mean_and_peak_on_hand_built_overlaps() -> None:
    start, end = WINDOW_START + 100.0, WINDOW_START + 110.0
    at = WINDOW_START
    rows = frame(
        [
            rec(0, sent_at=at + 98.0, e2e_s=4.0, phase="warmup"),  # [98, 102]: 2 s inside
            rec(1, sent_at=at + 101.0, e2e_s=3.0),  # [101, 104]: 3 s
            rec(2, sent_at=at + 101.5, e2e_s=1.0, ok=False, error_kind="reset"),  # [101.5, 102.5]: 1 s
            rec(3, sent_at=at + 104.0, e2e_s=2.0),  # [104, 106]: starts as 1 ends, 2 s
            rec(4, sent_at=at + 103.0, e2e_s=0.5),  # [103, 103.5]: 0.5 s
            rec(5, sent_at=at + 109.0, e2e_s=5.0, phase="cooldown"),  # [109, 114]: 1 s
            rec(6, sent_at=at + 80.0, e2e_s=5.0),  # ends before the window
            rec(7, sent_at=at + 105.0, e2e_s=None, ok=False, error_kind="connect"),  # no timing
        ]
    )
    mean, peak = m.concurrency(rows, start, end)
    assert mean == pytest.approx(9.5 / 10.0)
    assert peak == 3  # 101.5..102: requests 0, 1 and 2


def test_back_to_back_requests_do_not_overlap() -> None:
    rows = frame([rec(0, sent_at=WINDOW_START, e2e_s=1.0), rec(1, sent_at=WINDOW_START + 1.0, e2e_s=1.0)])
    assert m.concurrency(rows, WINDOW_START, WINDOW_START + 2.0) == (pytest.approx(1.0), 1)
    assert m.concurrency(frame([]), WINDOW_START, WINDOW_START + 2.0) == (None, None)


def test_token_mismatch_rate_counts_only_rows_with_two_counts() -> None:
    rows = frame(
        [
            rec(0, n_out=10, n_out_alt=10),
            rec(1, n_out=10, n_out_alt=13),  # off by 3 tokens: more than re-tokenisation noise
            rec(2, n_out=5, n_out_alt=3),  # off by 2 tokens: within it
            rec(3, n_out=100, n_out_alt=105),  # off by 5 %: within it
            rec(4, n_out=7, n_out_alt=None),
        ]
    )
    assert m.token_mismatch_rate(rows) == pytest.approx(0.25)
    assert m.token_mismatch_rate(rows.iloc[4:]) is None


def test_tokens_per_chunk_and_queueing_latency() -> None:
    rows = frame(
        [
            rec(0, n_out=12, n_content_chunks=4, e2e_s=1.0, schedule_lag_s=0.25),
            rec(1, n_out=5, n_content_chunks=5, e2e_s=2.0, schedule_lag_s=None),
            rec(2, n_out=0, n_content_chunks=0, e2e_s=0.5, schedule_lag_s=0.0),
        ]
    )
    per_chunk = m.tokens_per_chunk(rows)
    assert per_chunk[:2].tolist() == [3.0, 1.0]
    assert np.isnan(per_chunk[2])
    queued = m.e2e_with_queueing_s(rows)
    assert queued[[0, 2]].tolist() == [1.25, 0.5]
    assert np.isnan(queued[1])
