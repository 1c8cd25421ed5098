"""Key numbers: requests, throughput, goodput, concurrency and the latency percentiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.analysis.stats import PERCENTILES
from harness.report.format import number, percent
from harness.report.fragments import note, section, table

LATENCY_ROWS: tuple[tuple[str, str], ...] = (
    ("TTFT", "ttft_ms"),
    ("TTFC (first non-reasoning content)", "ttfc_ms"),
    ("TPOT", "tpot_ms"),
    ("ITL (per chunk)", "itl_ms"),
    ("E2E", "e2e_ms"),
    ("E2E incl. client queueing", "e2e_with_queueing_ms"),
    ("Schedule lag", "schedule_lag_ms"),
)


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    requests, throughput, goodput = summary["requests"], summary["throughput"], summary["goodput"]
    tokens, concurrency = summary["tokens"], summary["concurrency"]
    source = tokens["source"] or "—"
    overview = [
        ("Requests measured", number(requests["total"])),
        ("Completed", number(requests["completed"])),
        ("Errored", f"{number(requests['errored'])} ({percent(summary['errors']['rate'])})"),
        ("Throughput", number(throughput["requests_per_s"], 2, "req/s")),
        ("Output tokens", number(throughput["output_tokens_per_s"], 1, "tok/s")),
        ("Total tokens", number(throughput["total_tokens_per_s"], 1, "tok/s")),
        ("Goodput", number(goodput["requests_per_s"], 2, "req/s")),
        ("SLO attainment", percent(goodput["slo_attainment"])),
        ("Concurrency mean / peak", f"{number(concurrency['mean'], 2)} / {number(concurrency['peak'])}"),
        ("Token counts from", f"{source} (estimated)" if tokens["estimated"] else source),
        ("Output / input tokens", f"{number(tokens['output_total'])} / {number(tokens['input_total'])}"),
        ("Tokens per chunk", number(tokens["tokens_per_chunk_mean"], 2)),
    ]
    stat_keys = (*PERCENTILES, "mean", "min", "max", "std")
    headers = ("ms", *(key.replace("_", ".") for key in stat_keys), "count")
    latency = summary["latency"]
    rows = [
        (label, *(number(latency[key][stat], 1) for stat in stat_keys), number(latency[key]["count"]))
        for label, key in LATENCY_ROWS
    ]
    return section(
        "key-numbers",
        "Key numbers",
        table(("", ""), overview, "facts"),
        table(headers, rows, "numbers"),
        note(
            f"Latency of successful measured requests; percentiles from raw samples "
            f"({summary['percentile_method']} interpolation)."
        ),
    )
