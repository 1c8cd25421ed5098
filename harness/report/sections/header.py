"""Header: which run, against what, when; a banner for partial runs; the run's warnings."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from harness.report.format import number, timestamp
from harness.report.fragments import table


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    run, window = summary["run"], summary["window"]
    facts = [
        ("Run", run["run_id"]),
        ("Scenario", run["scenario"]),
        ("Endpoint", run["endpoint"]),
        ("Model", run["model"]),
        ("API", run["api"]),
        ("Load", run["load_profile"] or "—"),
        ("Workers", run["workers"]),
        ("Started", timestamp(run["started_at"])),
        ("Ended", timestamp(run["ended_at"])),
        (
            "Measured window",
            f"{timestamp(window['start'])} → {timestamp(window['end'])} "
            f"({number(window['seconds'], 1, 's')})",
        ),
    ]
    banner = ""
    if run["partial"]:
        reason = run["partial_reason"] or "the run stopped before its planned end"
        banner = f'<div class="banner">Partial run: {escape(reason)}</div>'
    warnings = summary["health"]["warnings"]
    warning_list = ""
    if warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
        warning_list = f'<ul class="warnings">{items}</ul>'
    return (
        f'<header id="run"><h1>{escape(run["scenario"])} — {escape(run["model"])}</h1>'
        f"{banner}{table(('', ''), facts, 'facts')}{warning_list}</header>"
    )
