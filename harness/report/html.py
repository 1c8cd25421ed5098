"""``write_report``: a run directory -> a self-contained ``report.html``.

The page is the concatenation of ``SECTIONS``, in order. A section is any function
``(run_dir, summary, records) -> str | None`` returning an HTML fragment, or None
when it does not apply to the run (no GPU data, no golden set…): later stages add
their section to the list and stay out of the others. plotly.js is inlined once in
the page head, so the file opens without a network.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from plotly.offline import get_plotlyjs

from harness.analysis.metrics import SUMMARY_COLUMNS, ensure_fields
from harness.records.rundir import REPORT_FILE, SUMMARY_FILE
from harness.records.store import read_records
from harness.report import seconds
from harness.report.errors import ReportError
from harness.report.sections import (
    accuracy,
    compare,
    distributions,
    errors,
    gpu,
    header,
    key_numbers,
    latency_time,
    server,
    slo,
    slowest,
    stages,
    throughput,
    turns,
)

Section = Callable[[Path, dict[str, Any], pd.DataFrame], str | None]

# What the summary reads and what the sections show besides; answer texts and request ids are
# read for the few rows shown, chunk gaps batch by batch (ITL).
REPORT_COLUMNS = [*SUMMARY_COLUMNS, "prompt_id", "error_detail"]

SECTIONS: list[Section] = [
    header.render,
    key_numbers.render,
    compare.render,
    slo.render,
    latency_time.render,
    distributions.render,
    throughput.render,
    stages.render,
    turns.render,
    server.render,
    gpu.render,
    errors.render,
    accuracy.render,
    slowest.render,
]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
section { margin: 2rem 0; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
table.numbers td:not(:first-child) { font-variant-numeric: tabular-nums; }
table.facts thead { display: none; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: .6rem 1rem; margin: 1rem 0; }
.warnings li { color: #8a5300; }
.note { color: #666; font-size: .85rem; }
"""


def write_report(run_dir: Path) -> Path:
    """Build ``report.html`` in ``run_dir`` from its ``summary.json`` and records; returns its path."""
    summary = load_summary(run_dir)
    try:
        # Request ids and answer texts are read only for the rows a section shows (``slowest``).
        records = ensure_fields(read_records(run_dir, REPORT_COLUMNS, compact=True), REPORT_COLUMNS)
    except (pa.ArrowException, OSError) as exc:
        raise ReportError(
            f"{run_dir}: records unreadable ({exc}); re-run or restore records.parquet"
        ) from None
    try:
        with pd.option_context("mode.copy_on_write", True):  # sections select rows, never write
            fragments = [section(run_dir, summary, records) for section in SECTIONS]
    finally:
        seconds.forget()
    title = f"slm-harness — {summary['run']['scenario']} — {summary['run']['run_id']}"
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f"<body>{''.join(f for f in fragments if f is not None)}</body></html>\n"
    )
    out = run_dir / REPORT_FILE
    out.write_text(page, encoding="utf-8")
    return out


def load_summary(run_dir: Path) -> dict[str, Any]:
    """The run's summary.json; ``ReportError`` when it is missing or not a summary."""
    path = run_dir / SUMMARY_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: not found; point at a run directory (reports/runs/<run_id>)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON ({exc}); re-create it from the run's records") from None
    if not isinstance(summary, dict) or "run" not in summary:
        raise ReportError(f"{path}: field 'run' missing; this is not an slm-harness summary") from None
    return summary
