"""render_summary(): the console view of a summary, rendered to plain text."""

from __future__ import annotations

from rich.console import Console

from harness.analysis import summarize
from harness.report.console import render_summary
from tests._analysis_fixtures import frame, meta, rec


def rendered(summary: dict) -> str:
    console = Console(record=True, width=120, color_system=None)
    console.print(render_summary(summary))
    return console.export_text()


def test_console_summary_shows_requests_errors_rates_and_latency() -> None:
    rows = frame(
        [
            rec(i, ttft_s=0.1 * (i + 1), e2e_s=1.0 + 0.1 * i, n_out=11, chunk_gaps_s=[0.09] * 10)
            for i in range(4)
        ]
        + [rec(9, ok=False, error_kind="http_429", e2e_s=0.01)]
    )
    text = rendered(summarize(rows, meta(slo_ttft_ms=250.0)))
    assert "5 measured, 4 ok, 1 errored (20.0 %)" in text
    assert "http_429 1" in text
    assert "0.40 req/s, 4.4 output tok/s" in text  # 4 ok, 44 tokens in 10 s
    assert "0.20 req/s (40.0 % within ttft ≤ 250 ms)" in text
    ttft_line = next(line for line in text.splitlines() if "TTFT" in line)
    # TTFT samples 100, 200, 300, 400 ms: p50 250, p95 385, p99 397.
    assert [cell.strip() for cell in ttft_line.split("│")[2:6]] == ["250.0", "385.0", "397.0", "4"]


def test_console_summary_prints_text_literally_and_shows_warnings() -> None:
    summary = summarize(
        frame([rec(0, ok=False, error_kind="connect")]),
        meta(model="[red]tiny[/red]", partial=True, partial_reason="SIGINT"),
    )
    text = rendered(summary)
    assert "[red]tiny[/red]" in text
    assert "(partial)" in text
    assert "! Partial run: SIGINT." in text
    assert "! No request succeeded in the measured window" in text
    assert "—" in next(line for line in text.splitlines() if "E2E" in line)
