"""The simulator's timing model: exact TTFT/ITL at low load, queueing, KV capacity, batch slowdown, prefill.

Tolerances are a few ms: the event loop wakes up to ~1 ms late and the test machine is shared.
"""

from __future__ import annotations

import itertools
import statistics
from concurrent.futures import ThreadPoolExecutor

import httpx
from _sim_fixtures import CHAT_PATH, StreamResult, chat_body, running_sim, stream, streaming

TOL_MS = 4.0


def _gaps_ms(times: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in itertools.pairwise(times)]


def _concurrent_streams(client: httpx.Client, bodies: list[dict[str, object]]) -> list[StreamResult]:
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda b: stream(client, CHAT_PATH, b), bodies))


def test_ttft_and_itl_are_exact_at_low_load() -> None:
    with running_sim(ttft_ms=80, itl_ms=15) as (_, client):
        stream(client, CHAT_PATH, streaming(chat_body(max_tokens=2)))  # warm the connection
        results = [stream(client, CHAT_PATH, streaming(chat_body(max_tokens=20))) for _ in range(3)]
    for result in results:
        truth = result.usage_chunk()["sim"]
        times = result.content_times()
        assert len(times) == 20
        # Server side: the intended TTFT header (which counts any wait for the event loop) and the
        # measured write times.
        assert abs(float(result.headers["x-sim-ttft-ms"]) - 80) < TOL_MS
        assert 80 <= truth["ttft_ms"] < 80 + TOL_MS
        assert 80 + 19 * 15 <= truth["e2e_ms"] < 80 + 19 * 15 + TOL_MS
        # Client side: what a client measures matches the configuration.
        assert abs(times[0] * 1000 - 80) < TOL_MS + 2
        gaps = _gaps_ms(times)
        assert abs(statistics.median(gaps) - 15) < 1.5
        assert abs(statistics.mean(gaps) - 15) < 0.5  # absolute deadlines: no drift accumulates
        # One scheduling hiccup of the client's own thread on a loaded 2-core machine is not the
        # server's timing: every gap but the largest must be on time.
        assert sorted(gaps)[-2] < 15 + TOL_MS


def test_max_num_seqs_queues_the_rest_fifo() -> None:
    # max_tokens=1: a sequence ends at its first token, so the waiting two start one TTFT later.
    with running_sim(ttft_ms=100, itl_ms=10, max_num_seqs=2) as (_, client):
        results = _concurrent_streams(client, [streaming(chat_body(max_tokens=1))] * 4)
    queue_ms = sorted(float(r.headers["x-sim-queue-ms"]) for r in results)
    ttft_ms = sorted(r.usage_chunk()["sim"]["ttft_ms"] for r in results)
    assert queue_ms[0] < 2 and queue_ms[1] < 2
    assert abs(queue_ms[2] - 100) < TOL_MS + 20 and abs(queue_ms[3] - 100) < TOL_MS + 20
    assert all(abs(t - 100) < TOL_MS + 20 for t in ttft_ms[:2])
    assert all(abs(t - 200) < TOL_MS + 20 for t in ttft_ms[2:])
    # The intended TTFT header includes the queueing it was sent after.
    for r in results:
        assert abs(float(r.headers["x-sim-ttft-ms"]) - float(r.headers["x-sim-queue-ms"]) - 100) < 0.01


def test_kv_capacity_makes_requests_wait() -> None:
    # Each request reserves 4 prompt + 40 output = 44 tokens: two fit in 100, the third waits.
    with running_sim(ttft_ms=20, itl_ms=2, kv_capacity_tokens=100) as (_, client):
        body = streaming({"prompt": "x" * 16, "max_tokens": 40})
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda b: stream(client, "/v1/completions", b), [body] * 3))
    assert {r.usage_chunk()["usage"]["prompt_tokens"] for r in results} == {4}
    queue_ms = sorted(float(r.headers["x-sim-queue-ms"]) for r in results)
    first_e2e = 20 + 39 * 2
    assert queue_ms[1] < 10
    assert abs(queue_ms[2] - first_e2e) < TOL_MS + 20


def test_batch_slowdown_stretches_decode_steps() -> None:
    # 4 running of max 4 with slowdown 1.0: a step is itl * (1 + 3/4) = 35 ms.
    with running_sim(ttft_ms=30, itl_ms=20, max_num_seqs=4, batch_slowdown=1.0) as (_, client):
        results = _concurrent_streams(client, [streaming(chat_body(max_tokens=12))] * 4)
    middle_gaps = [g for r in results for g in _gaps_ms(r.content_times())[2:-2]]
    assert abs(statistics.median(middle_gaps) - 35) < 2.0


def test_prefill_adds_per_prompt_token() -> None:
    with running_sim(ttft_ms=30, itl_ms=5, prefill_ms_per_token=0.5) as (_, client):
        result = stream(client, CHAT_PATH, streaming(chat_body("y" * 400, max_tokens=2)))
    prompt_tokens = result.usage_chunk()["usage"]["prompt_tokens"]
    assert prompt_tokens == 106
    expected = 30 + prompt_tokens * 0.5
    assert abs(float(result.headers["x-sim-ttft-ms"]) - expected) < 1.0
    assert expected <= result.usage_chunk()["sim"]["ttft_ms"] < expected + TOL_MS


def test_drift_profile_scales_latency() -> None:
    with running_sim(ttft_ms=50, itl_ms=10, drift_profile="slower") as (_, client):
        result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=10)))
    assert abs(float(result.headers["x-sim-ttft-ms"]) - 65) < 1.0  # 50 * 1.3
    assert abs(statistics.mean(_gaps_ms(result.content_times())) - 13) < 1.0


def test_jitter_spreads_gaps_but_keeps_their_mean() -> None:
    with running_sim(ttft_ms=10, itl_ms=10, jitter_ms=5, seed=1) as (_, client):
        result = stream(client, CHAT_PATH, streaming(chat_body(max_tokens=60)))
    gaps = _gaps_ms(result.content_times())
    assert statistics.pstdev(gaps) > 1.5  # uniform +-5 ms has sd 2.9 ms
    assert abs(statistics.mean(gaps) - 10) < 1.0
