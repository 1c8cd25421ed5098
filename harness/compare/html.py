"""``compare.html``: the sides on the same charts, self-contained (plotly.js inlined).

Overlaid ECDFs of TTFT, TPOT and E2E; throughput and goodput bars; per-stage curves when the
runs have stages; cost and energy per query; golden accuracy with its interval; agreement and
the most divergent answers.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from harness.analysis import metrics as m
from harness.compare.markdown import ratio_text, value_text
from harness.compare.sides import Side
from harness.report.figures import ecdf, figure_html
from harness.report.fragments import note, section, table
from harness.report.html import STYLE

DISTRIBUTIONS = (
    ("ttft_ms", "TTFT", m.ttft_s),
    ("tpot_ms", "TPOT", m.tpot_s),
    ("e2e_ms", "E2E latency", m.e2e_s),
)
BARS = (("requests_per_s", "goodput_rps"), ("cost_per_query_usd",), ("energy_per_output_token_j",))


def render_html(result: dict[str, Any], sides: list[Side]) -> str:
    parts = [
        f"<h1>Comparison against {escape(result['reference'])}</h1>",
        _warnings(result["warnings"]),
        _sides(result),
        _deltas(result),
        _distributions(sides),
        *[_bars(result, keys) for keys in BARS],
        _stages(result),
        _accuracy(result),
        _agreement(result),
    ]
    title = "slm-harness — comparison — " + " vs ".join(s["label"] for s in result["sides"])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f"<body>{''.join(p for p in parts if p)}</body></html>\n"
    )


def _warnings(lines: list[str]) -> str:
    if not lines:
        return ""
    return (
        '<div class="banner"><ul class="warnings">'
        + "".join(f"<li>{escape(w)}</li>" for w in lines)
        + "</ul></div>"
    )


def _sides(result: dict[str, Any]) -> str:
    rows = [
        (s["label"], s["model"] or "", ", ".join(s["run_ids"]), s["repetitions"], s["requests"])
        for s in result["sides"]
    ]
    return section(
        "sides", "Sides", table(("side", "model", "run", "repetitions", "requests"), rows, "numbers")
    )


def _deltas(result: dict[str, Any]) -> str:
    labels = [s["label"] for s in result["sides"]]
    rows = []
    noises: set[str] = set()
    for metric in result["metrics"]:
        ref, *others = metric["sides"]
        cells = [metric["label"], value_text(ref["value"], metric["unit"])]
        for entry in others:
            cells.append(f"{value_text(entry['value'], metric['unit'])}  {ratio_text(entry)}")
            if entry.get("noise"):
                noises.add(entry["noise"])
        rows.append(cells)
    head = ("metric", labels[0], *[f"{label} (ratio to {labels[0]}, 95 % interval)" for label in labels[1:]])
    return section(
        "deltas",
        "Key numbers",
        table(head, rows, "numbers"),
        *[note(f"Interval noise: {n}.") for n in sorted(noises)],
    )


def _distributions(sides: list[Side]) -> str:
    figures = []
    for _key, title, fn in DISTRIBUTIONS:
        fig = go.Figure()
        for side in sides:
            ok = m.successful(m.measured(side.records))
            values = fn(ok) * m.MS
            values = values[np.isfinite(values)]
            if values.size:
                fig.add_trace(ecdf(values, side.label))
        if fig.data:
            fig.update_layout(title=f"{title} (ECDF)", xaxis_title="ms", yaxis_title="share of requests")
            figures.append(figure_html(fig, 340))
    return section("distributions", "Latency distributions", *figures) if figures else ""


def _bars(result: dict[str, Any], keys: tuple[str, ...]) -> str:
    metrics = [metric for metric in result["metrics"] if metric["key"] in keys]
    if not metrics:
        return ""
    fig = go.Figure()
    for metric in metrics:
        x = [entry["label"] for entry in metric["sides"]]
        y = [entry["value"] for entry in metric["sides"]]
        fig.add_trace(go.Bar(x=x, y=y, name=f"{metric['label']} ({metric['unit']})"))
    fig.update_layout(barmode="group", title=" and ".join(metric["label"] for metric in metrics))
    return section("bars-" + keys[0], metrics[0]["label"].capitalize(), figure_html(fig, 320))


def _stages(result: dict[str, Any]) -> str:
    if not any(s["stages"] for s in result["sides"]):
        return ""
    fig = go.Figure()
    for side in result["sides"]:
        stages = side["stages"]
        if stages:
            fig.add_trace(
                go.Scatter(
                    x=[s["requests_per_s"] for s in stages],
                    y=[s["ttft_p50_ms"] for s in stages],
                    text=[s["name"] for s in stages],
                    mode="lines+markers",
                    name=side["label"],
                )
            )
    fig.update_layout(title="TTFT p50 per stage against throughput", xaxis_title="req/s", yaxis_title="ms")
    return section("stages", "Per stage", figure_html(fig, 340))


def _accuracy(result: dict[str, Any]) -> str:
    entries = [a for a in result["accuracy"] if a["difference_points"] is not None]
    if not entries:
        return ""
    scored = [s for s in result["sides"] if s["accuracy"] is not None]
    fig = go.Figure(
        go.Bar(
            x=[s["label"] for s in scored],
            y=[s["accuracy"] for s in scored],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [s["accuracy_interval"][1] - s["accuracy"] for s in scored],
                "arrayminus": [s["accuracy"] - s["accuracy_interval"][0] for s in scored],
            },
        )
    )
    fig.update_layout(title="Golden accuracy (95 % Wilson interval over items)", yaxis={"range": [0, 1]})
    rows = [
        (
            f"{a['other']} vs {a['reference']}",
            a["items"],
            f"{a['reference_accuracy']:.1%}",
            f"{a['other_accuracy']:.1%}",
            _points(a),
            a["newly_failing"],
            a["newly_passing"],
            f"{a['p_value']:.3g}",
        )
        for a in entries
    ]
    head = (
        "pair",
        "items",
        "reference",
        "other",
        "difference, points (95 % interval)",
        "newly failing",
        "newly passing",
        "McNemar p",
    )
    return section(
        "golden",
        "Golden accuracy",
        figure_html(fig, 300),
        table(head, rows, "numbers"),
        note(entries[0]["noise"] + "; " + entries[0]["test"] + "."),
    )


def _points(a: dict[str, Any]) -> str:
    low, high = a["interval_points"]
    return f"{a['difference_points']:+.1f} ({low:+.1f} to {high:+.1f})"


def _agreement(result: dict[str, Any]) -> str:
    entries = [a for a in result["agreement"] if a["pairs"]]
    if not entries:
        return ""
    rows = [
        (
            f"{a['other']} vs {a['reference']}",
            a["pairs"],
            a["paired_by"],
            f"{a['exact']:.1%}",
            f"{a['normalized']:.1%}",
            f"{a['token_f1']:.3f}",
        )
        for a in entries
    ]
    parts = [table(("pair", "pairs", "paired by", "exact", "normalised", "token F1"), rows, "numbers")]
    for a in entries:
        if a["divergent"]:
            examples = [
                (d["prompt_id"], f"{d['token_f1']:.2f}", d["reference"], d["other"]) for d in a["divergent"]
            ]
            parts.append(f"<h3>Most divergent: {escape(a['other'])} vs {escape(a['reference'])}</h3>")
            parts.append(table(("prompt", "token F1", a["reference"], a["other"]), examples))
    return section("agreement", "Answer agreement", *parts)
