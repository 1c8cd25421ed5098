"""One simulator process holds 1,000 concurrent streams."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from _sim_fixtures import CHAT_PATH, chat_body, running_sim, streaming
from prometheus_client.parser import text_string_to_metric_families

STREAMS = 1000
TOKENS = 5


async def _one(session: aiohttp.ClientSession, url: str) -> tuple[int, int, bool, float]:
    async with session.post(url, json=streaming(chat_body(max_tokens=TOKENS))) as resp:
        body = await resp.read()
        queue_ms = float(resp.headers["x-sim-queue-ms"])
    events = [e.removeprefix(b"data: ") for e in body.split(b"\n\n") if e]
    chunks = [json.loads(e) for e in events[:-1]]
    tokens = sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content"))
    return resp.status, tokens, events[-1] == b"[DONE]", queue_ms


async def _peak_running(session: aiohttp.ClientSession, base_url: str, stop: asyncio.Event) -> float:
    peak = 0.0
    while not stop.is_set():
        async with session.get(base_url + "/metrics") as resp:
            for family in text_string_to_metric_families(await resp.text()):
                if family.name == "vllm:num_requests_running":
                    peak = max(peak, family.samples[0].value)
        await asyncio.sleep(0.1)
    return peak


async def _all(base_url: str) -> tuple[list[tuple[int, int, bool, float]], float]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        stop = asyncio.Event()
        watcher = asyncio.create_task(_peak_running(session, base_url, stop))
        results = await asyncio.gather(*(_one(session, base_url + CHAT_PATH) for _ in range(STREAMS)))
        stop.set()
        return results, await watcher


def test_thousand_concurrent_streams_complete() -> None:
    # TTFT is long enough that every stream is open before the first one finishes.
    with running_sim(ttft_ms=2000, itl_ms=20, max_num_seqs=STREAMS) as (sim, client):
        results, peak_running = asyncio.run(_all(sim.base_url))
        metrics = client.get("/metrics").text
    assert [r[:3] for r in results] == [(200, TOKENS, True)] * STREAMS
    assert max(r[3] for r in results) < 500  # nobody waited for a slot (that would take >= 2 s)
    assert peak_running == STREAMS  # all 1,000 sequences were decoding at the same time
    success = {
        s.labels["finished_reason"]: s.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "vllm:request_success"
        for s in family.samples
        if s.name.endswith("_total")
    }
    assert success == {"stop": 0, "length": STREAMS, "abort": 0}
