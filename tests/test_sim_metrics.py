"""``/metrics`` parses as Prometheus text, uses vLLM v1 names, and its numbers match what was served."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from _sim_fixtures import CHAT_PATH, COMPLETIONS_PATH, chat_body, running_sim, stream, streaming
from prometheus_client.parser import text_string_to_metric_families

LABELS = {"model_name": "sim-model", "engine": "0"}


def _samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **extra: str) -> float:
    return samples[(name, tuple(sorted({**LABELS, **extra}.items())))]


def test_counters_and_histograms_match_the_responses() -> None:
    with running_sim(ttft_ms=2, itl_ms=1) as (_, client):
        streamed = [
            stream(client, CHAT_PATH, streaming(chat_body(f"q{i}" * i, max_tokens=3 + i))) for i in range(5)
        ]
        plain = [
            client.post(COMPLETIONS_PATH, json={"prompt": "abcdefgh", "min_tokens": 7}).json()
            for _ in range(3)
        ]
        samples = _samples(client)
    usages = [r.usage_chunk()["usage"] for r in streamed] + [p["usage"] for p in plain]
    completion = [u["completion_tokens"] for u in usages]
    assert _value(samples, "vllm:prompt_tokens_total") == sum(u["prompt_tokens"] for u in usages)
    assert _value(samples, "vllm:generation_tokens_total") == sum(completion)
    assert _value(samples, "vllm:request_success_total", finished_reason="length") == 5
    assert _value(samples, "vllm:request_success_total", finished_reason="stop") == 3
    assert _value(samples, "vllm:request_success_total", finished_reason="abort") == 0
    for name in ("time_to_first_token", "e2e_request_latency", "request_queue_time"):
        assert _value(samples, f"vllm:{name}_seconds_count") == 8
    assert _value(samples, "vllm:inter_token_latency_seconds_count") == sum(n - 1 for n in completion)
    # ITL of 1 ms: every gap lands in the first bucket (10 ms) on an idle server.
    assert _value(samples, "vllm:inter_token_latency_seconds_bucket", le="0.01") >= 0.9 * sum(
        n - 1 for n in completion
    )
    ttft_sum = _value(samples, "vllm:time_to_first_token_seconds_sum")
    truth_sum = (
        sum(r.usage_chunk()["sim"]["ttft_ms"] for r in streamed) / 1000
        + sum(p["sim"]["ttft_ms"] for p in plain) / 1000
    )
    assert abs(ttft_sum - truth_sum) < 1e-3
    assert _value(samples, "vllm:num_requests_running") == 0
    assert _value(samples, "vllm:kv_cache_usage_perc") == 0


def test_gauges_show_running_waiting_and_kv_usage() -> None:
    with running_sim(ttft_ms=400, itl_ms=10, max_num_seqs=2, kv_capacity_tokens=1000) as (_, client):
        body = chat_body("z", max_tokens=10)  # 4 prompt tokens (rendered chat) + 10 output each
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(client.post, CHAT_PATH, json=body) for _ in range(4)]
            deadline = time.monotonic() + 5
            samples = _samples(client)
            while _value(samples, "vllm:num_requests_waiting") < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
                samples = _samples(client)
            results = [f.result().json() for f in futures]
    assert _value(samples, "vllm:num_requests_running") == 2
    assert _value(samples, "vllm:num_requests_waiting") == 2
    per_seq = results[0]["usage"]["total_tokens"]
    assert _value(samples, "vllm:kv_cache_usage_perc") == 2 * per_seq / 1000


def test_client_disconnect_counts_as_abort() -> None:
    with running_sim(ttft_ms=10, itl_ms=20) as (sim, client):
        # Leave after the first chunk: httpx closes a connection whose response was not read to the end.
        with (
            httpx.Client(base_url=sim.base_url) as other,
            other.stream("POST", CHAT_PATH, json=streaming(chat_body(max_tokens=100))) as resp,
        ):
            next(resp.iter_raw())
        deadline = time.monotonic() + 5
        samples = _samples(client)
        while _value(samples, "vllm:request_success_total", finished_reason="abort") < 1:
            assert time.monotonic() < deadline, "the aborted request was never counted"
            time.sleep(0.05)
            samples = _samples(client)
        assert _value(samples, "vllm:num_requests_running") == 0
        assert _value(samples, "vllm:request_success_total", finished_reason="length") == 0
