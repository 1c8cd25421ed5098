"""Request records with known, varied timings for the publishing tests, and their summary."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd

from harness.analysis.meta import RunMeta
from harness.analysis.summary import summarize
from harness.config.slo import SLO
from harness.protocol.errors import HTTP_5XX, TIMEOUT_TOTAL
from harness.records.record import PHASE_MEASURE, PHASE_WARMUP, TOKEN_SOURCE_USAGE, RequestRecord

SCENARIO, MODEL, ENDPOINT = "chat", "tiny-model", "sim"
LABELS = {"scenario": SCENARIO, "model": MODEL, "endpoint": ENDPOINT}
SLOS_MS = {"ttft_ms": 400.0, "tpot_ms": 30.0, "e2e_ms": 1500.0}
SLOS = SLO(**SLOS_MS)
START = 1_700_000_000.0


def make_records(n: int = 240, seed: int = 3, warmup: int = 12) -> list[RequestRecord]:
    """``warmup`` warm-up records, then ``n`` measured ones: ~5 % errors, TTFT 20 ms–1.6 s, 1–48 tokens."""
    rng = random.Random(seed)
    records = []
    for i in range(warmup + n):
        sent = START + i * 0.05
        rec = RequestRecord(
            request_id=f"r{i}",
            scenario=SCENARIO,
            phase=PHASE_WARMUP if i < warmup else PHASE_MEASURE,
            sent_at=sent,
            token_source=TOKEN_SOURCE_USAGE,
            n_in=rng.randint(8, 120),
        )
        if i % 20 == 7:
            rec.error_kind, rec.status_code = (HTTP_5XX, 503) if i % 40 == 7 else (TIMEOUT_TOTAL, None)
        else:
            n_out = rng.randint(1, 48)
            ttft = rng.lognormvariate(-1.6, 0.8)  # median ~0.2 s, a long tail past 1 s
            gaps = [rng.uniform(0.004, 0.045) for _ in range(n_out - 1)]
            rec.ok, rec.status_code, rec.finish_reason = True, 200, "stop"
            rec.ttft_s = rec.ttfc_s = ttft
            rec.chunk_gaps_s = gaps
            rec.e2e_s = ttft + sum(gaps) + rng.uniform(0.0, 0.002)
            rec.n_out = rec.n_content_chunks = n_out
        records.append(rec)
    return records


def run_meta(records: list[RequestRecord], run_id: str = "run-1", slo: SLO = SLOS) -> RunMeta:
    measured = [r for r in records if r.phase == PHASE_MEASURE]
    start = measured[0].sent_at
    end = max(r.sent_at + (r.e2e_s or 0.0) for r in measured)
    return RunMeta(
        run_id=run_id,
        scenario=SCENARIO,
        model=MODEL,
        endpoint=ENDPOINT,
        api="chat",
        started_at=records[0].sent_at,
        ended_at=end,
        window_start=start,
        window_end=end,
        slo_ttft_ms=slo.ttft_ms,
        slo_tpot_ms=slo.tpot_ms,
        slo_e2e_ms=slo.e2e_ms,
    )


def summary_of(records: list[RequestRecord], run_id: str = "run-1", slo: SLO = SLOS) -> dict[str, Any]:
    frame = pd.DataFrame([r.to_row() for r in records])
    return summarize(frame, run_meta(records, run_id, slo))
