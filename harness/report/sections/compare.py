"""Targets side by side (runs over several targets): each target's key numbers, the ratios to
the reference with their intervals, answer agreement, paired golden accuracy and, in shadow
mode, whether mirroring disturbed the primary."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from harness.compare.effects import METRICS
from harness.compare.markdown import ratio_text
from harness.report.format import number, percent
from harness.report.fragments import note, section, table


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str | None:
    compare = summary.get("compare")
    if not compare:
        return None
    roles = {t["name"]: t["role"] for t in compare["targets"]}
    accuracy = compare.get("golden_accuracy", {})
    rows = [
        (
            block["name"],
            roles.get(block["name"], ""),
            block.get("model", ""),
            number(block["requests"]["total"]),
            number(block["latency"]["ttft_ms"]["p50"], 1),
            number(block["latency"]["ttft_ms"]["p95"], 1),
            number(block["latency"]["tpot_ms"]["p50"], 2),
            number(block["latency"]["e2e_ms"]["p95"], 1),
            number(block["throughput"]["requests_per_s"], 2),
            percent(block["errors"]["rate"]),
            number((block.get("cost") or {}).get("cost_per_query_usd"), 6),
            percent(accuracy.get(block["name"])),
        )
        for block in summary.get("targets", [])
    ]
    head = (
        "target",
        "role",
        "model",
        "requests",
        "TTFT p50 ms",
        "TTFT p95 ms",
        "TPOT p50 ms",
        "E2E p95 ms",
        "req/s",
        "errors",
        "$ / query",
        "golden accuracy",
    )
    parts = [
        note(
            f"Mode: {compare['mode']}" + (f", fan-out {compare['fanout']}" if compare.get("fanout") else "")
        ),
        table(head, rows, "numbers"),
        _effects(compare),
    ]
    for agree in compare["agreement"]:
        if agree["pairs"]:
            parts.append(
                note(
                    f"Answers of {agree['other']} vs {agree['reference']} "
                    f"({agree['pairs']} pairs by {agree['paired_by']}): exact {agree['exact']:.1%}, "
                    f"normalised {agree['normalized']:.1%}, token F1 {agree['token_f1']:.3f}."
                )
            )
    for acc in compare["accuracy"]:
        if acc["difference_points"] is not None:
            low, high = acc["interval_points"]
            parts.append(
                note(
                    f"Golden accuracy {acc['other']} − {acc['reference']}: "
                    f"{acc['difference_points']:+.1f} points (95 % interval {low:+.1f} to {high:+.1f}, "
                    f"over items), exact McNemar p = {acc['p_value']:.3g} on {acc['items']} paired items."
                )
            )
    shadow = compare.get("shadow")
    if shadow is not None:
        lag = shadow["primary_schedule_lag_ms"]
        parts.append(
            note(
                f"Shadow: {shadow['mirrored']} mirrors sent, {shadow['dropped']} dropped; primary "
                f"schedule lag p99 {number(lag['p99'], 1)} ms; client CPU max "
                f"{number(shadow['client_cpu'].get('max_percent'), 0)} %."
            )
        )
    if compare["warnings"]:
        parts.append(
            '<ul class="warnings">' + "".join(f"<li>{escape(w)}</li>" for w in compare["warnings"]) + "</ul>"
        )
    parts.append(
        note("compare.html beside this report has the distributions and the most divergent answers.")
    )
    return section("compare", "Targets compared", *parts)


def _effects(compare: dict[str, Any]) -> str:
    others = [t["name"] for t in compare["targets"][1:]]
    labels = {metric.key: metric.label for metric in METRICS}
    rows = [
        (labels.get(key, key), *[ratio_text(per_target.get(name, {})) for name in others])
        for key, per_target in compare["effects"].items()
    ]
    return table(("ratio to " + compare["reference"], *others), rows, "numbers")
