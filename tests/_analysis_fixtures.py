"""Builders of request-record frames with known values, for the analysis and report tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import RunMeta
from harness.records.record import RECORD_FIELDS, RequestRecord

WINDOW_START = 1_700_000_000.0
WINDOW_SECONDS = 10.0


def rec(i: int = 0, **fields: Any) -> dict[str, Any]:
    """One record row; successful, measured, sent inside the window unless ``fields`` say otherwise."""
    defaults: dict[str, Any] = {
        "request_id": f"r{i}",
        "scenario": "unit",
        "sent_at": WINDOW_START + 1.0,
        "ok": True,
        "token_source": "usage",
    }
    return RequestRecord(**(defaults | fields)).to_row()


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(RECORD_FIELDS))


def meta(**fields: Any) -> RunMeta:
    defaults: dict[str, Any] = {
        "run_id": "20261123T101500Z-unit-abcd",
        "scenario": "unit",
        "model": "tiny",
        "endpoint": "sim",
        "api": "chat",
        "started_at": WINDOW_START - 5.0,
        "ended_at": WINDOW_START + WINDOW_SECONDS + 5.0,
        "window_start": WINDOW_START,
        "window_end": WINDOW_START + WINDOW_SECONDS,
        "load_profile": "constant 4 users",
    }
    return RunMeta(**(defaults | fields))


def synthetic(n: int, gaps_per_request: int, seed: int = 7) -> pd.DataFrame:
    """``n`` successful measured requests with random timings, built column-wise."""
    rng = np.random.default_rng(seed)
    ttft = rng.lognormal(np.log(0.2), 0.5, n)
    gaps = rng.gamma(2.0, 0.01, n * gaps_per_request)
    e2e = ttft + gaps.reshape(n, gaps_per_request).sum(axis=1)
    data: dict[str, Any] = {name: None for name in RECORD_FIELDS}
    data |= {
        "request_id": [f"r{i}" for i in range(n)],
        "scenario": "bulk",
        "worker": "local",
        "phase": "measure",
        "api": "chat",
        "sent_at": WINDOW_START + rng.uniform(0.0, WINDOW_SECONDS, n),
        "ttft_s": ttft,
        "ttfc_s": ttft,
        "e2e_s": e2e,
        "chunk_gaps_s": list(gaps.reshape(n, gaps_per_request)),
        "n_content_chunks": gaps_per_request + 1,
        "n_in": 100,
        "n_out": gaps_per_request + 1,
        "token_source": "usage",
        "ok": True,
    }
    return pd.DataFrame(data, columns=list(RECORD_FIELDS))
