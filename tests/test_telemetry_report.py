"""The GPU/energy/cost and client-vs-server report sections, rendered into a real report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.analysis import summarize
from harness.analysis.cost import cost_summary
from harness.analysis.energy import gpu_summary
from harness.records.record import RequestRecord
from harness.records.rundir import GPU_FILE, SERVER_METRICS_FILE
from harness.records.store import RecordWriter, read_records
from harness.report import html as report_html
from harness.report.html import write_report
from harness.report.sections import gpu, server
from harness.telemetry.server_metrics import SCHEMA, parse_page
from tests._analysis_fixtures import WINDOW_SECONDS, WINDOW_START, meta
from tests._telemetry_fixtures import FIXTURES, known_gpu_samples

NOTICE = "GPU telemetry unavailable: NVML Shared Library Not Found — run continues without it"


@pytest.fixture(autouse=True)
def with_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_html, "SECTIONS", [*report_html.SECTIONS, gpu.render, server.render])


def records() -> list[RequestRecord]:
    """35 successful requests of 9 output tokens, sent every 0.25 s from the window start."""
    return [
        RequestRecord(
            request_id=f"r{i}",
            scenario="unit",
            sent_at=WINDOW_START + i * 0.25,
            ttft_s=0.05 + 0.01 * (i % 10),
            e2e_s=0.5 + 0.02 * (i % 7),
            chunk_gaps_s=[0.04 + 0.002 * j for j in range(8)],
            n_content_chunks=9,
            n_in=20,
            n_out=9,
            token_source="usage",
            ok=True,
        )
        for i in range(35)
    ]


def run_dir(path: Path, gpu_part: dict[str, Any] | None, cost_part: dict[str, Any] | None) -> Path:
    writer = RecordWriter(path)
    writer.extend(records())
    writer.close()
    summary = summarize(read_records(path), meta())
    if gpu_part is not None:
        summary["gpu"] = gpu_part
    if cost_part is not None:
        summary["cost"] = cost_part
    (path / "summary.json").write_text(json.dumps(summary, allow_nan=False))
    return path


def test_gpu_energy_cost_and_server_sections(tmp_path: Path) -> None:
    samples = known_gpu_samples(t0=WINDOW_START - 1.0)
    samples.to_parquet(tmp_path / GPU_FILE)
    # The window is [t0 + 1, t0 + 11]: the samples (t0 .. t0 + 5) end before it does, so the
    # summary of this run has no energy; ask for the sampled span instead.
    window = (WINDOW_START + 0.5, WINDOW_START + 3.25)
    gpu_part = gpu_summary(samples, *window, output_tokens=2125)
    cost_part = cost_summary(
        {"accelerator_usd_per_hour": 3.6, "usd_per_kwh": 0.2}, WINDOW_SECONDS, 35, 315, 700, 1062.5
    )
    # The server page as captured, scraped once before the window (all zero) and once after it.
    page = parse_page((FIXTURES / "metrics" / "vllm.txt").read_text(), WINDOW_START + WINDOW_SECONDS + 1)
    rows = [(WINDOW_START - 1, name, labels, le, 0.0) for _, name, labels, le, _ in page] + page
    columns = list(zip(*rows, strict=True))
    pq.write_table(
        pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, SCHEMA, strict=True)], schema=SCHEMA
        ),
        tmp_path / SERVER_METRICS_FILE,
    )
    html = write_report(run_dir(tmp_path, gpu_part, cost_part)).read_text(encoding="utf-8")
    assert 'id="gpu"' in html and 'id="server"' in html
    assert "<td>Energy in the measured window</td><td>1,062.5 J</td>" in html
    assert "<td>Energy per output token</td><td>0.5000 J</td>" in html
    assert "<td>Output tokens per joule</td><td>2.00</td>" in html
    assert "<td>0</td><td>NVIDIA L4</td><td>80.0 % / 100.0 %</td>" in html
    assert "sw_power_cap, hw_thermal_slowdown" in html
    # 3.6 $/h x 10 s = 0.01 $; 35 queries; 315 output tokens.
    assert "<td>Total for the measured window</td><td>0.010000 USD</td>" in html
    assert "<td>Cost per query</td><td>0.000286 USD</td>" in html
    assert "<td>Cost per 1M output tokens</td><td>31.746032 USD</td>" in html
    # 12 server TTFT observations, p50 20 + 20/7 ms from the buckets; 6 running.
    assert "<td>TTFT server</td><td>12</td><td>16.5</td><td>22.9</td><td>36.6</td><td>39.7</td>" in html
    assert "<td>Queue time server</td><td>6</td>" in html
    assert "<td>Server requests running, mean / max</td><td>— / —</td>" in html  # no scrape inside
    assert "GPU 1" in html and "server KV-cache usage %" in html


def test_unavailable_telemetry_says_why_and_plots_nothing(tmp_path: Path) -> None:
    html = write_report(run_dir(tmp_path, gpu_summary(None, 0, 1, 10, reason=NOTICE), None)).read_text(
        encoding="utf-8"
    )
    assert f"No GPU figures: {NOTICE}" in html
    assert "Energy in the measured window" not in html
    assert 'id="server"' not in html


def test_no_telemetry_and_no_cost_leave_the_sections_out(tmp_path: Path) -> None:
    html = write_report(run_dir(tmp_path, None, None)).read_text(encoding="utf-8")
    assert 'id="gpu"' not in html and 'id="server"' not in html


def test_cost_without_gpu_and_an_unreadable_gpu_file(tmp_path: Path) -> None:
    (tmp_path / GPU_FILE).write_bytes(b"not parquet")
    cost_part = cost_summary(None, WINDOW_SECONDS, 35, 315, 700, None)
    html = write_report(run_dir(tmp_path, None, cost_part)).read_text(encoding="utf-8")
    assert "No cost figures: no price given: add a cost: section to the scenario" in html
    assert "gpu.parquet unreadable (" in html
