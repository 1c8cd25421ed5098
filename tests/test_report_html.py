"""write_report(): a self-contained HTML report built from a real run directory."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.analysis import summarize
from harness.records.record import RequestRecord
from harness.records.store import RecordWriter, read_records
from harness.report import html as report_html
from harness.report.errors import ReportError
from harness.report.html import write_report
from tests._analysis_fixtures import WINDOW_START, meta

SECTION_IDS = (
    "run",
    "key-numbers",
    "slo",
    "latency-over-time",
    "distributions",
    "throughput",
    "errors",
    "slowest",
)
EVIL = "<script>alert(1)</script>"


def records(truth: bool) -> list[RequestRecord]:
    rows: list[RequestRecord] = []
    for i in range(40):
        ttft = 0.05 + 0.01 * (i % 10)
        rows.append(
            RequestRecord(
                request_id=f"r{i}",
                scenario="unit",
                phase="warmup" if i < 4 else "measure",
                sent_at=WINDOW_START + i * 0.25,
                ttft_s=ttft,
                ttfc_s=ttft,
                e2e_s=ttft + 0.4,
                chunk_gaps_s=[0.05] * 8,
                n_content_chunks=9,
                n_in=20,
                n_out=9,
                token_source="usage",
                ok=True,
                output_text=f"answer {i}",
                truth_ttft_s=ttft - 0.002 if truth else None,
            )
        )
    rows[10].output_text = EVIL
    rows[10].e2e_s = 3.0  # the slowest request, so its output is shown
    rows[11].ok = False
    rows[11].error_kind = "http_5xx"
    rows[11].error_detail = "<b>bad gateway</b>"
    return rows


def make_run_dir(path: Path, *, truth: bool = False, **meta_fields: Any) -> Path:
    writer = RecordWriter(path)
    writer.extend(records(truth))
    writer.close()
    summary = summarize(read_records(path), meta(**meta_fields))
    (path / "summary.json").write_text(json.dumps(summary, allow_nan=False))
    return path


def test_report_has_every_section_and_the_key_numbers(tmp_path: Path) -> None:
    out = write_report(make_run_dir(tmp_path, slo_ttft_ms=100.0))
    assert out == tmp_path / "report.html"
    page = out.read_text(encoding="utf-8")
    for anchor in SECTION_IDS:
        assert f'id="{anchor}"' in page, anchor
    assert 'id="accuracy"' not in page  # optional section: no ground truth in this run
    # 36 measured requests; 37 ok responses (warm-up ones included) ended inside the 10 s window.
    assert "<td>Requests measured</td><td>36</td>" in page
    assert "<td>Throughput</td><td>3.70 req/s</td>" in page
    assert "<td>http_5xx</td><td>1</td>" in page


def test_report_is_self_contained_with_plotly_inlined_once(tmp_path: Path) -> None:
    page = write_report(make_run_dir(tmp_path)).read_text(encoding="utf-8")
    assert page.count("* plotly.js v") == 1
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "Plotly.newPlot" in page


def test_report_escapes_endpoint_text(tmp_path: Path) -> None:
    page = write_report(make_run_dir(tmp_path, partial=True, partial_reason="<i>SIGINT</i>")).read_text(
        encoding="utf-8"
    )
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bad gateway&lt;/b&gt;" in page
    assert '<div class="banner">Partial run: &lt;i&gt;SIGINT&lt;/i&gt;</div>' in page


def test_optional_sections_appear_only_when_they_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def gpu_section(run_dir: Path, summary: dict[str, Any], records: Any) -> str | None:
        seen.append(summary["run"]["run_id"])
        return '<section id="gpu">GPU</section>' if (run_dir / "gpu.parquet").exists() else None

    monkeypatch.setattr(report_html, "SECTIONS", [*report_html.SECTIONS, gpu_section])
    run_dir = make_run_dir(tmp_path, truth=True)
    page = write_report(run_dir).read_text(encoding="utf-8")
    assert 'id="accuracy"' in page  # ground truth present
    assert 'id="gpu"' not in page
    (run_dir / "gpu.parquet").write_bytes(b"")
    assert 'id="gpu"' in write_report(run_dir).read_text(encoding="utf-8")
    assert len(seen) == 2


def test_report_without_records_still_renders(tmp_path: Path) -> None:
    summary = summarize(read_records(tmp_path), meta())
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No successful request to plot." in page
    assert "No errors in the measured window." in page


def test_bad_run_dirs_give_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"summary\.json: not found") as missing:
        write_report(tmp_path)
    assert "\n" not in str(missing.value)
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(ReportError, match="not valid JSON"):
        write_report(tmp_path)
    (tmp_path / "summary.json").write_text("[]")
    with pytest.raises(ReportError, match="field 'run' missing"):
        write_report(tmp_path)
