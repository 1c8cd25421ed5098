"""Live exporter costs in the load process: observing a request, and rendering /metrics.

Observe: one successful request record with 16 or 128 chunk gaps (ITL samples), through
``LiveExporter.observe``; beside it the same ITL samples through prometheus_client's own
``Histogram`` with the same bounds, which finds a bucket by a linear scan. Render: one scrape
(``generate_latest``) with the run's own slice only, and with every slice the series budget allows.

Usage: python benchmarks/bench_exporter.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from harness.config.slo import SLO
from harness.publish import LiveExporter
from harness.publish import catalogue as c
from harness.records.record import RequestRecord

SLOS = SLO(ttft_ms=500, tpot_ms=50, e2e_ms=8000)


def per_call_us(fn: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    """The best of ``rounds`` averages: the machine is shared, the minimum is the code's own cost."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat * 1e6)
    return best


def record(gaps: int, stage: str | None = None) -> RequestRecord:
    itl = [0.004 + 0.0001 * (i % 40) for i in range(gaps)]
    return RequestRecord(
        request_id="r",
        scenario="bench",
        ok=True,
        ttft_s=0.12,
        e2e_s=0.12 + sum(itl),
        chunk_gaps_s=itl,
        n_out=gaps + 1,
        n_in=200,
        stage=stage,
    )


def main() -> None:
    print("| request | harness observe (µs) | ITL through prometheus_client.Histogram (µs) |")
    print("|---|---|---|")
    for gaps in (16, 128):
        exporter = LiveExporter("127.0.0.1", 0, {"scenario": "bench"}, SLOS)
        rec = record(gaps)
        client = Histogram("itl", "itl", registry=CollectorRegistry(), buckets=c.ITL.buckets or ())

        def scan(rec: RequestRecord = rec, client: Histogram = client) -> None:
            for gap in rec.chunk_gaps_s:
                client.observe(gap)

        def observe(rec: RequestRecord = rec, exporter: LiveExporter = exporter) -> None:
            exporter.observe(rec)

        print(f"| {gaps} chunk gaps | {per_call_us(observe, 2000):.1f} | {per_call_us(scan, 2000):.1f} |")

    print()
    print("| slices | series | bytes | render (ms) |")
    print("|---|---|---|---|")
    # No stages: the run's own slice. MAX_SLICES + 1 stages: every named slice and the overflow one.
    for stages in (0, c.MAX_SLICES + 1):
        exporter = LiveExporter("127.0.0.1", 0, {"scenario": "bench"}, SLOS)
        for i in range(stages):
            exporter.observe(record(16, stage=f"s{i}"))
        slices = 1 if stages == 0 else c.MAX_SLICES + 2
        text = generate_latest(exporter.registry)
        series = sum(1 for line in text.decode().splitlines() if line and not line.startswith("#"))

        def render(registry: CollectorRegistry = exporter.registry) -> None:
            generate_latest(registry)

        render_ms = per_call_us(render, 20) / 1000
        print(f"| {slices} | {series:,} | {len(text):,} | {render_ms:.1f} |")


if __name__ == "__main__":
    main()
