"""``compare.md``: the comparison as a table of deltas, sized for a pull-request comment."""

from __future__ import annotations

from typing import Any

from harness.report.format import MISSING

SHOWN = (
    "ttft_p50_ms",
    "ttft_p95_ms",
    "tpot_p50_ms",
    "e2e_p95_ms",
    "requests_per_s",
    "goodput_rps",
    "error_rate",
    "cost_per_query_usd",
)


def ratio_text(entry: dict[str, Any]) -> str:
    """``×1.23 (1.10–1.37)`` or ``×1.23`` without an interval; a dash when unknown."""
    ratio = entry.get("ratio")
    if ratio is None:
        return MISSING
    interval = entry.get("interval")
    return f"×{ratio:.3f}" + (f" ({interval[0]:.3f}–{interval[1]:.3f})" if interval else "")


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return MISSING
    if unit == "share":
        return f"{value:.1%}"
    if unit == "USD":
        return f"${value:.3g}"
    return f"{value:,.4g} {unit}"


def render_markdown(result: dict[str, Any]) -> str:
    sides = [s["label"] for s in result["sides"]]
    lines = [f"### Comparison against `{result['reference']}`", ""]
    lines += [f"> {w}" for w in result["warnings"]]
    if result["warnings"]:
        lines.append("")
    header = ["metric", f"`{sides[0]}`", *[f"`{s}` (ratio, 95 % CI)" for s in sides[1:]]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    noises = set()
    for metric in result["metrics"]:
        if metric["key"] not in SHOWN:
            continue
        ref, *others = metric["sides"]
        cells = [metric["label"], value_text(ref["value"], metric["unit"])]
        for entry in others:
            cells.append(f"{value_text(entry['value'], metric['unit'])} {ratio_text(entry)}")
            if entry.get("noise"):
                noises.add(entry["noise"].split(" (")[0])
        lines.append("| " + " | ".join(cells) + " |")
    for acc in result["accuracy"]:
        low, high = acc["interval_points"] if acc.get("interval_points") else (None, None)
        if acc["difference_points"] is None:
            continue
        lines.append(
            f"| golden accuracy | {acc['reference_accuracy']:.1%} | {acc['other_accuracy']:.1%} "
            f"({acc['difference_points']:+.1f} pts, {low:+.1f}…{high:+.1f}; "
            f"McNemar p = {acc['p_value']:.3g}) |"
        )
    lines.append("")
    for agree in result["agreement"]:
        if agree["pairs"]:
            lines.append(
                f"Answers of `{agree['other']}` vs `{agree['reference']}` on {agree['pairs']} "
                f"paired prompts: exact {agree['exact']:.1%}, normalised {agree['normalized']:.1%}, "
                f"token F1 {agree['token_f1']:.3f}."
            )
    resampled = sorted(n for n in noises if not n.startswith("none"))
    if resampled:
        lines += [
            "",
            "95 % intervals resample " + ", ".join(resampled) + " (compare.json says which for each).",
        ]
    if any(n.startswith("none") for n in noises):
        lines.append("Costs and energy have no interval: one value per run.")
    return "\n".join(lines) + "\n"
