"""per_second(): per-second bins of a run, on a hand-built case and cross-checked with the summary."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis import per_second, summarize
from tests._analysis_fixtures import WINDOW_START, frame, meta, rec, synthetic

S = WINDOW_START


def test_hand_built_bins() -> None:
    rows = frame(
        [
            rec(0, sent_at=S + 0.2, ttft_s=0.1, e2e_s=0.5, n_out=10),  # ends 0.7 -> bin 0
            rec(1, sent_at=S + 0.5, ttft_s=0.3, e2e_s=1.0, n_out=20),  # ends 1.5 -> bin 1
            rec(2, sent_at=S + 1.2, ttft_s=0.2, e2e_s=0.6, n_out=30),  # ends 1.8 -> bin 1
            rec(3, sent_at=S + 2.5, ok=False, error_kind="connect"),  # no timing: bin of sending
            rec(4, sent_at=S + 3.0, e2e_s=0.5, ok=False, error_kind="http_429"),  # ends 3.5
            rec(5, sent_at=S + 3.2, e2e_s=0.3, ok=False),  # unclassified: the harness's own
            rec(6, sent_at=S - 2.0, e2e_s=1.0),  # over before the start: left out
        ]
    )
    bins = per_second(rows, S)
    assert bins["second"].tolist() == [0, 1, 2, 3]
    assert bins["t"].tolist() == [S, S + 1, S + 2, S + 3]
    assert bins["completed"].tolist() == [1, 2, 0, 0]
    assert bins["output_tokens"].tolist() == [10, 50, 0, 0]
    assert bins["errors"].tolist() == [0, 0, 1, 2]
    assert bins["errors_connect"].tolist() == [0, 0, 1, 0]
    assert bins["errors_http_429"].tolist() == [0, 0, 0, 1]
    assert bins["errors_client"].tolist() == [0, 0, 0, 1]
    # In flight: bin 0 = 0.5 (r0) + 0.5 (r1); bin 1 = 0.5 (r1) + 0.6 (r2); bin 3 = 0.5 + 0.3.
    assert bins["concurrency"].tolist() == pytest.approx([1.0, 1.1, 0.0, 0.8])
    assert bins["ttft_p50_ms"].iloc[:2].tolist() == pytest.approx([100.0, 250.0])
    assert bins["ttft_p95_ms"].iloc[1] == pytest.approx(295.0)  # linear between 200 and 300
    assert bins["e2e_p50_ms"].iloc[1] == pytest.approx(800.0)
    assert bins["ttft_p50_ms"].iloc[2:].isna().all()


def test_empty_records_give_empty_bins() -> None:
    bins = per_second(frame([]), S)
    assert bins.empty
    assert {"second", "completed", "concurrency", "ttft_p95_ms"} <= set(bins.columns)


def test_bins_add_up_to_the_summary() -> None:
    records = synthetic(20_000, 10)
    bins = per_second(records, S)
    summary = summarize(records, meta())
    assert bins["completed"].sum() == summary["requests"]["completed"] == 20_000
    assert bins["output_tokens"].sum() == summary["tokens"]["output_total"]
    # Two independent implementations of mean concurrency agree over the 10 s window.
    assert np.mean(bins["concurrency"].iloc[:10]) == pytest.approx(summary["concurrency"]["mean"], rel=1e-9)
