"""Pure parts of the load stage: arrival schedules, user profiles, progress counters."""

from __future__ import annotations

import numpy as np
import pytest

from harness.load.progress import ProgressStats
from harness.load.schedule import arrivals
from harness.load.shapes import UsersAt
from harness.records.record import RequestRecord


def test_constant_arrivals_are_evenly_spaced_and_bounded() -> None:
    times = np.array(list(arrivals(100.0, 110.0, 5.0, "constant", seed=1)))
    assert len(times) == 50
    assert times[0] == 100.0 and times[-1] < 110.0
    assert np.allclose(np.diff(times), 0.2)


def test_poisson_arrivals_have_the_rate_and_exponential_gaps() -> None:
    times = np.array(list(arrivals(0.0, 2000.0, 10.0, "poisson", seed=7)))
    gaps = np.diff(times)
    assert len(times) == pytest.approx(20000, rel=0.03)
    assert gaps.mean() == pytest.approx(0.1, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.05)  # exponential: CV = 1
    assert list(arrivals(0.0, 50.0, 10.0, "poisson", seed=7)) == list(times[times < 50.0])


def test_workers_split_a_constant_rate_into_interleaved_shares() -> None:
    shares = [list(arrivals(0.0, 10.0, 20.0, "constant", 0, share=lambda i=i: (i, 3))) for i in range(3)]
    merged = np.sort(np.concatenate(shares))
    assert len(merged) == 200
    assert np.allclose(np.diff(merged), 0.05)


def test_share_changes_take_effect_from_the_next_arrival() -> None:
    count = {"n": 1}
    schedule = arrivals(0.0, 100.0, 10.0, "constant", 0, share=lambda: (0, count["n"]))
    first = [next(schedule) for _ in range(3)]
    count["n"] = 2  # a second worker joined: this one now sends every other arrival
    later = [next(schedule) for _ in range(3)]
    assert np.allclose(np.diff(first), 0.1)
    assert np.allclose(np.diff(later), 0.2)


def test_profiles_give_users_over_time() -> None:
    ramp = UsersAt("ramp", start_users=2, end_users=10, ramp_s=8)
    assert [ramp(t) for t in (0, 4, 8, 20)] == [2, 6, 10, 10]
    steps = UsersAt("steps", steps=((1, 5.0), (4, 5.0), (2, 5.0)))
    assert [steps(t) for t in (0, 5, 9.9, 12, 99)] == [1, 4, 4, 2, 2]
    spike = UsersAt("spike", base_users=3, spike_users=30, spike_at_s=10, spike_duration_s=5)
    assert [spike(t) for t in (0, 10, 14.9, 15)] == [3, 30, 30, 3]
    assert UsersAt("concurrency", users=7)(123) == 7


def test_progress_counts_and_recent_rates() -> None:
    stats = ProgressStats()
    for i in range(20):
        stats(RequestRecord(request_id=str(i), scenario="s", sent_at=100.0 + i * 0.1, e2e_s=0.5,
                            ttft_s=0.01 * (i + 1), n_out=10, ok=True))  # fmt: skip
    stats(RequestRecord(request_id="x", scenario="s", sent_at=101.0, e2e_s=0.1, error_kind="http_5xx"))
    assert (stats.completed, stats.errors, stats.output_tokens) == (20, 1, 200)
    assert stats.errors_by_kind == {"http_5xx": 1}
    rps, tps, p50, p95 = stats.recent(now=104.0)  # 4 s after the first send
    assert rps == pytest.approx(20 / 4.0)
    assert tps == pytest.approx(200 / 4.0)
    assert p50 == pytest.approx(float(np.percentile(np.arange(1, 21) * 10.0, 50)))
    assert p95 == pytest.approx(float(np.percentile(np.arange(1, 21) * 10.0, 95)))
    assert stats.recent(now=200.0) == (0.0, 0.0, None, None)  # everything left the window
