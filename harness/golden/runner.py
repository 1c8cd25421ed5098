"""The golden runner: ask every item of some golden sets, N at a time, and score the answers.

In-process asyncio + httpx, independent of the load driver, so it runs on its own (a
golden-only run) or in a process beside a load run (accuracy under load, in rounds).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.golden.dataset import GoldenItem, GoldenSet
from harness.golden.results import result_row
from harness.golden.transport import EndpointSettings, RetryPolicy, ask, make_client
from harness.protocol import SamplingParams
from harness.records.record import RequestRecord


@dataclass(slots=True)
class GoldenOutput:
    """Scored rows (``golden.parquet``), the request records of every attempt, and when it ran."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    records: list[RequestRecord] = field(default_factory=list)
    started_at: float = 0.0
    ended_at: float = 0.0
    rounds: int = 0


def run_golden(
    sets: list[GoldenSet],
    settings: EndpointSettings,
    concurrency: int = 4,
    policy: RetryPolicy | None = None,
    scenario: str = "golden",
    seed: int = 0,
) -> GoldenOutput:
    """Ask every item of `sets` once (blocking; starts its own event loop)."""
    return asyncio.run(run_rounds(sets, settings, concurrency, policy or RetryPolicy(), scenario, seed))


async def run_rounds(
    sets: list[GoldenSet],
    settings: EndpointSettings,
    concurrency: int,
    policy: RetryPolicy,
    scenario: str = "golden",
    seed: int = 0,
    duration_s: float | None = None,
    interval_s: float = 0.0,
    delay_s: float = 0.0,
) -> GoldenOutput:
    """Ask every item of `sets`, once, or in rounds for `duration_s` seconds, after `delay_s`.

    With a duration, a new round starts every `interval_s` seconds (or as soon as the
    previous one ends, when it took longer); no round starts after the duration is up, and a
    round under way is finished. Rows carry their round number.
    """
    await asyncio.sleep(delay_s)
    output = GoldenOutput(started_at=time.time())
    rng = random.Random(seed)
    gate = asyncio.Semaphore(concurrency)
    start = time.monotonic()
    async with make_client(settings, concurrency) as client:
        while True:
            round_start = time.monotonic()
            await _one_round(client, sets, settings, policy, scenario, rng, gate, output)
            if duration_s is None:
                break
            next_start = max(round_start + interval_s, time.monotonic())
            if next_start - start >= duration_s:
                break
            await asyncio.sleep(next_start - time.monotonic())
    output.ended_at = time.time()
    return output


async def _one_round(
    client: httpx.AsyncClient,
    sets: list[GoldenSet],
    settings: EndpointSettings,
    policy: RetryPolicy,
    scenario: str,
    rng: random.Random,
    gate: asyncio.Semaphore,
    output: GoldenOutput,
) -> None:
    round_index = output.rounds

    async def one(golden_set: GoldenSet, item: GoldenItem) -> tuple[dict[str, Any], list[RequestRecord]]:
        params = SamplingParams(
            max_tokens=golden_set.defaults.max_tokens, temperature=golden_set.defaults.temperature
        )
        request_id = f"{golden_set.name}/{item.item_id}/r{round_index}"
        prompt = golden_set.prompt_item(item)
        async with gate:
            answer = await ask(
                client, settings, golden_set.defaults.api, prompt, params, policy, scenario, request_id, rng
            )
        return result_row(item, answer, round_index), answer.records

    tasks = [one(golden_set, item) for golden_set in sets for item in golden_set.items]
    for row, records in await asyncio.gather(*tasks):
        output.rows.append(row)
        output.records.extend(records)
    output.rounds += 1
