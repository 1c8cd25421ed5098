"""Run directories with known latency distributions, for gate tests whose verdicts must not
depend on the machine's luck: records written by the record store, summarised by the one
summary function, exactly as a load run leaves them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from harness.analysis.meta import RunMeta
from harness.analysis.summary import summarize
from harness.records.record import PHASE_MEASURE, RequestRecord
from harness.records.rundir import SUMMARY_FILE, new_run_dir
from harness.records.store import PARQUET_NAME, records_to_table

WINDOW_S = 10.0
START = 1_800_000_000.0


def synthetic_run(
    folder: Path,
    rng: np.random.Generator,
    ttft_scale: float = 1.0,
    itl_scale: float = 1.0,
    requests: int = 400,
    tokens: int = 16,
) -> Path:
    """A closed-loop-like run: `requests` spread evenly over a 10 s window, TTFT lognormal
    around 100 ms x `ttft_scale`, `tokens` output tokens with gaps around 10 ms x `itl_scale`."""
    run_dir = new_run_dir(folder, "synthetic")
    sent = START + np.sort(rng.uniform(0, WINDOW_S, size=requests))
    records = []
    for i, at in enumerate(sent):
        ttft = float(rng.lognormal(np.log(0.1), 0.3)) * ttft_scale
        gaps = (
            rng.lognormal(np.log(0.01), 0.2) * itl_scale * rng.lognormal(0, 0.1, size=tokens - 1)
        ).tolist()
        records.append(
            RequestRecord(
                request_id=f"r{i}",
                scenario="synthetic",
                phase=PHASE_MEASURE,
                sent_at=float(at),
                ttft_s=ttft,
                ttfc_s=ttft,
                e2e_s=ttft + sum(gaps),
                chunk_gaps_s=gaps,
                n_content_chunks=tokens,
                n_in=20,
                n_out=tokens,
                token_source="usage",
                status_code=200,
                ok=True,
                finish_reason="length",
            )
        )
    pq.write_table(records_to_table(records), run_dir / PARQUET_NAME)
    meta = RunMeta(
        run_id=run_dir.name,
        scenario="synthetic",
        model="m",
        endpoint="e",
        api="chat",
        started_at=START,
        ended_at=START + WINDOW_S,
        window_start=START,
        window_end=START + WINDOW_S,
    )
    summary = summarize(records_to_table(records).to_pandas(), meta)
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary), encoding="utf-8")
    return run_dir


def synthetic_group(
    folder: Path, rng: np.random.Generator, runs: int, run_sd: float = 0.0, ttft_scale: float = 1.0
) -> Path:
    """A group directory of `runs` synthetic runs, each with its own speed (log-normal, `run_sd`)."""
    group = new_run_dir(folder, "group")
    for _ in range(runs):
        speed = float(np.exp(rng.normal(0, run_sd)))
        synthetic_run(group, rng, ttft_scale=ttft_scale * speed, itl_scale=speed)
    return group
