"""SLOs and goodput: each SLO's attainment alone, and all of them together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.analysis import metrics as m
from harness.report.format import number, percent
from harness.report.fragments import note, section, table

SLO_LABELS = {"ttft_ms": "TTFT", "tpot_ms": "TPOT", "e2e_ms": "E2E"}


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    goodput, throughput = summary["goodput"], summary["throughput"]
    rates = table(
        ("", ""),
        [
            ("Goodput", number(goodput["requests_per_s"], 2, "req/s")),
            ("Throughput", number(throughput["requests_per_s"], 2, "req/s")),
            ("SLO attainment (all SLOs)", percent(goodput["slo_attainment"])),
        ],
        "facts",
    )
    slos: dict[str, float] = goodput["slos"]
    if not slos:
        return section(
            "slo", "SLOs and goodput", note("No SLO configured: goodput equals throughput."), rates
        )
    rows = m.measured(records)
    per_slo = [
        (SLO_LABELS.get(key, key), f"≤ {number(limit, 1, 'ms')}", percent(_attainment(rows, key, limit)))
        for key, limit in slos.items()
    ]
    return section(
        "slo",
        "SLOs and goodput",
        rates,
        table(("SLO", "threshold", "attainment (this SLO alone)"), per_slo, "numbers"),
        note("Errors count as missing every SLO; a request with fewer than 2 output tokens has no TPOT."),
    )


def _attainment(rows: pd.DataFrame, key: str, limit: float) -> float | None:
    return float(m.slo_met(rows, {key: limit}).mean()) if len(rows) else None
