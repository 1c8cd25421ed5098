"""``gate.md``: the gate report for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from harness.gate.result import GateReport, GateResult, ItemChange

ITEMS_LISTED = 25
_ICONS = {"pass": "✅", "fail": "❌", "skip": "⚪"}

DECISION_RULES = """\
- **Absolute gates** compare one number of the candidate's `summary.json` with its bound.
- **Latency** (relative): ratio candidate / baseline of the statistic (e.g. p95) of the raw
  per-request samples, with a seeded percentile-bootstrap interval. Fails only when the ratio
  exceeds 1 + threshold **and** the interval's lower bound exceeds 1.
- **Throughput** (relative): completions (or output tokens) per second of the measured window;
  ratio candidate / baseline with a bootstrap interval over the per-request records (the count
  of requests sent is taken as given). Fails only when the ratio is below 1 - threshold **and**
  the interval's upper bound is below 1.
- **Accuracy** (relative): items paired by set and id; exact two-sided McNemar test on the
  discordant pairs. Fails only when the drop exceeds the threshold (in points) **and**
  p < 1 - confidence with more newly failing than newly passing items.
- Without per-request records or golden results on both sides, point values are compared
  (no significance test)."""


def gate_markdown(report: GateReport) -> str:
    failed = report.failed
    if report.passed:
        title = f"## ✅ slm-harness gate passed ({len(report.results)} gates)"
    else:
        title = f"## ❌ slm-harness gate failed ({len(failed)} of {len(report.results)} gates)"
    lines = [
        title,
        "",
        f"Baseline `{report.baseline}` · candidate `{report.candidate}`"
        + (f" · model `{report.model}`" if report.model else "")
        + f" · confidence {report.confidence:.0%}",
        "",
        "| | Gate | Baseline | Candidate | Change | Result |",
        "|---|---|---|---|---|---|",
    ]
    lines += [_row(result) for result in report.results]
    lines += _items("Newly failing items", report.newly_failing)
    lines += _items("Newly passing items", report.newly_passing)
    lines += [
        "",
        "<details><summary>How the gates decide</summary>",
        "",
        DECISION_RULES,
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


def _row(r: GateResult) -> str:
    cells = [
        _ICONS[r.status],
        _cell(r.name),
        _value(r, r.baseline),
        _value(r, r.candidate),
        _change(r),
        _cell(r.message, limit=240),
    ]
    return "| " + " | ".join(cells) + " |"


def _value(r: GateResult, value: float | None) -> str:
    if value is None:
        return "–"
    if r.metric.startswith("golden") or r.metric.endswith("accuracy"):
        return f"{value:.1%}"
    if r.kind == "relative" and "_ms" in r.metric:
        return f"{value:.1f} ms"
    return f"{value:.4g}"


def _change(r: GateResult) -> str:
    if r.estimate is None:
        return "–"
    if r.metric.startswith("golden"):
        text = f"{-r.estimate:+.1f} pts"
        return text + (f" (p = {r.p_value:.3g})" if r.p_value is not None else "")
    text = f"×{r.estimate:.3f}"
    if r.ci_low is not None and r.ci_high is not None:
        text += f" ({r.ci_low:.3f}–{r.ci_high:.3f})"
    return text


def _items(title: str, items: list[ItemChange]) -> list[str]:
    if not items:
        return []
    lines = [
        "",
        f"### {title} ({len(items)})",
        "",
        "| Set | Item | Expected | Baseline | Candidate |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {_cell(i.set_name)} | {_cell(i.item_id)} | {_cell(i.expected)} | {_cell(i.baseline_output)} |"
        f" {_cell(i.candidate_output)} |"
        for i in items[:ITEMS_LISTED]
    ]
    if len(items) > ITEMS_LISTED:
        lines.append(f"\n… and {len(items) - ITEMS_LISTED} more (all of them are in gate.json).")
    return lines


def _cell(text: str, limit: int = 120) -> str:
    flat = " ".join(str(text).split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
