"""A compact console summary of a run (rich renderables)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from harness.report.format import number, percent

LATENCY_ROWS: tuple[tuple[str, str], ...] = (
    ("TTFT", "ttft_ms"),
    ("TPOT", "tpot_ms"),
    ("ITL", "itl_ms"),
    ("E2E", "e2e_ms"),
)
LATENCY_STATS: tuple[str, ...] = ("p50", "p95", "p99")


def render_summary(summary: dict[str, Any]) -> Group:
    """Run line, overview (requests, errors, throughput, goodput), latency table, warnings."""
    run = summary["run"]
    title = Text.assemble(
        (f"{run['scenario']}", "bold"),
        f"  {run['model']} @ {run['endpoint']}  run {run['run_id']}",
        (" (partial)", "bold yellow") if run["partial"] else "",
    )
    parts: list[Any] = [title, _overview(summary), _latency(summary["latency"])]
    if summary.get("stages"):
        parts.append(_stages(summary["stages"]))
    if summary.get("turns"):
        parts.append(_turns(summary["turns"]))
    parts.extend(Text(f"! {warning}", style="yellow") for warning in summary["health"]["warnings"])
    return Group(*parts)


def _overview(summary: dict[str, Any]) -> Table:
    requests, errors = summary["requests"], summary["errors"]
    throughput, goodput = summary["throughput"], summary["goodput"]
    concurrency = summary["concurrency"]
    kinds = ", ".join(
        f"{kind} {n}" for kind, n in sorted(errors["by_kind"].items(), key=lambda item: -item[1]) if n
    )
    slos = ", ".join(f"{key.removesuffix('_ms')} ≤ {limit:g} ms" for key, limit in goodput["slos"].items())
    rows = [
        (
            "requests",
            f"{requests['total']} measured, {requests['completed']} ok, {requests['errored']} errored "
            f"({percent(errors['rate'])})",
        ),
        ("errors by kind", kinds or "none"),
        (
            "throughput",
            f"{number(throughput['requests_per_s'], 2, 'req/s')}, "
            f"{number(throughput['output_tokens_per_s'], 1, 'output tok/s')}",
        ),
        (
            "goodput",
            f"{number(goodput['requests_per_s'], 2, 'req/s')} "
            f"({percent(goodput['slo_attainment'])} within {slos or 'no SLO'})",
        ),
        ("concurrency", f"mean {number(concurrency['mean'], 2)}, peak {number(concurrency['peak'])}"),
    ]
    cache = _prefix_cache(summary)
    if cache:
        rows.append(("prefix cache", cache))
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim")
    table.add_column()
    for label, value in rows:
        # Text, not str: values may contain square brackets that rich would read as markup.
        table.add_row(label, Text(value))
    return table


def _prefix_cache(summary: dict[str, Any]) -> str:
    """The prefix cache's hit rate as the server's counters and its responses said it ("" if neither did)."""
    parts = []
    counters = (summary.get("server") or {}).get("prefix_cache") or {}
    if counters.get("hit_rate") is not None:
        parts.append(f"{percent(counters['hit_rate'])} of prompt tokens hit (server counters)")
    reported = summary.get("prefix_cache") or {}
    if reported.get("reported"):
        ttft = reported["ttft_ms"]
        parts.append(
            f"{reported['hit_requests']} of {reported['requests']} responses hit, "
            f"{percent(reported['hit_rate'])} of their prompt tokens; TTFT p50 "
            f"{number(ttft['hit']['p50'], 1)} ms hit, {number(ttft['miss']['p50'], 1)} ms miss"
        )
    return "; ".join(parts)


def _latency(latency: dict[str, Any]) -> Table:
    table = Table(title="latency (ms)", title_justify="left")
    table.add_column("")
    for stat in LATENCY_STATS:
        table.add_column(stat, justify="right")
    table.add_column("count", justify="right")
    for label, key in LATENCY_ROWS:
        stats = latency[key]
        table.add_row(label, *(number(stats[s], 1) for s in LATENCY_STATS), number(stats["count"]))
    return table


def _stages(stages: list[dict[str, Any]]) -> Table:
    """One row per load stage: its load, what it delivered, and its latency."""
    table = Table(title="stages", title_justify="left")
    for column in (
        "stage",
        "load",
        "req/s",
        "goodput",
        "SLO met",
        "TTFT p50",
        "TTFT p99",
        "TPOT p50",
        "E2E p99",
    ):
        table.add_column(column, justify="left" if column == "stage" else "right")
    table.add_column("errors", justify="right")
    for stage in stages:
        latency = stage["latency"]
        target = stage["target"]
        load = f"{target['rate_rps']:g} rps" if "rate_rps" in target else f"{target.get('users', 0):g} users"
        table.add_row(
            Text(stage["name"]),
            load,
            number(stage["throughput"]["requests_per_s"], 2),
            number(stage["goodput"]["requests_per_s"], 2),
            percent(stage["goodput"]["slo_attainment"]),
            number(latency["ttft_ms"]["p50"], 1),
            number(latency["ttft_ms"]["p99"], 1),
            number(latency["tpot_ms"]["p50"], 1),
            number(latency["e2e_ms"]["p99"], 1),
            percent(stage["errors"]["rate"]),
        )
    return table


def _turns(turns: list[dict[str, Any]]) -> Table:
    """One row per turn index of multi-turn sessions: prompt growth, TTFT, cache hits."""
    table = Table(title="turns", title_justify="left")
    for column in ("turn", "requests", "prompt tokens", "TTFT p50", "TTFT p99", "cache hit rate"):
        table.add_column(column, justify="right")
    for turn in turns:
        requests, tokens, ttft = turn["requests"], turn["tokens"], turn["latency"]["ttft_ms"]
        completed, prompt = requests["completed"], tokens["input_total"]
        cache = turn["prefix_cache"]
        table.add_row(
            str(turn["turn"]),
            number(requests["total"]),
            number(prompt / completed if prompt is not None and completed else None, 1),
            number(ttft["p50"], 1),
            number(ttft["p99"], 1),
            percent(cache["hit_rate"]) if cache.get("reported") else "—",
        )
    return table


def render_capacity(capacity: dict[str, Any]) -> Group:
    """The answer of a capacity search, and the probes that led to it."""
    by_rate = capacity["by"] == "rate"
    unit = "req/s" if by_rate else "users"
    answer = capacity["slo_rps"] if by_rate else capacity.get("slo_concurrency")
    slos = ", ".join(f"{k.removesuffix('_ms')} ≤ {v:g} ms" for k, v in capacity["slos"].items())
    lines = [
        Text.assemble(
            ("capacity at the SLOs: ", "bold"),
            (f"{number(answer, 2)} {unit}", "bold green"),
            f"  ({percent(capacity['slo_attainment_target'])} of requests within {slos};"
            f" limit: {capacity['limit']})",
        ),
        Text(
            f"max throughput {number(capacity['max_rps'], 2, 'req/s')}; at the SLO: concurrency "
            f"{number(capacity['concurrency_at_slo'], 2)}, cost per query "
            f"{number(capacity['cost_per_query_usd_at_slo'], 6, 'USD')}, "
            f"{number(capacity['energy_per_output_token_j_at_slo'], 4, 'J per output token')}"
        ),
    ]
    knee = capacity.get("knee")
    if knee:
        lines.append(
            Text(
                f"knee at {knee['stage']} ({number(knee['requests_per_s'], 2, 'req/s')}): {knee['diagnosis']}"
            )
        )
    table = Table(title="probes", title_justify="left")
    for column in ("stage", "load", "req/s", "SLO met", "interval", "requests", "verdict"):
        table.add_column(column, justify="left" if column in ("stage", "verdict") else "right")
    for probe in capacity["probes"]:
        load = f"{probe['rate_rps']:g} rps" if "rate_rps" in probe else f"{probe['users']:g} users"
        interval = probe["interval"]
        verdict = {True: "pass", False: "fail", None: "no evidence"}[probe["passed"]]
        table.add_row(
            Text(probe["stage"]),
            load,
            number(probe["requests_per_s"], 2),
            percent(probe["attainment"]),
            "—" if interval is None else f"{interval[0]:.1%}–{interval[1]:.1%}",
            number(probe["requests"]),
            f"{verdict} ({probe['decided_by']})",
        )
    return Group(*lines, table)
