"""``gate.md``: the gate report for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from harness.gate.result import GateReport, GateResult, ItemChange

ITEMS_LISTED = 25
_ICONS = {"pass": "✅", "fail": "❌", "skip": "⚪"}

DECISION_RULES = """\
- **Absolute gates** compare one number of the candidate's `summary.json` with its bound (with
  several runs, the mean of the runs).
- **Latency and throughput** (relative): ratio candidate / baseline of the statistic (p50…p99
  or mean of the per-request samples; ITL gaps grouped by request; throughput per time block).
  With two or more runs on a side, the interval is Yuen's trimmed Welch t interval on the
  runs' log statistics (one run in five trimmed from each end, so a run hit by a machine
  stall does not decide): it covers run-to-run noise and the requests within runs. With one
  run a side it is a bootstrap of that run's requests (or time blocks): it covers within-run
  noise only, and a calibrated noise floor stands in for run-to-run noise (the interval must
  clear it).
  Latency fails only when the ratio exceeds 1 + threshold **and** the slowdown is significant;
  throughput mirrors it below 1.
- **Accuracy** (relative): items paired by set and id; each item's share of correct answers
  over all its answers on a side (repeated answers to one item are not independent). Exact
  McNemar test when every item was answered once a side, else a paired t test on the items;
  fails only when the drop exceeds the threshold (in points) **and** p < 1 - confidence.
- **Noise floor**: from `slm-harness gate calibrate` (A/A runs); a rule tighter than its floor
  is refused.
- **Missing data** fails the gate (`missing: fail`), naming what is missing, unless the rules
  say `missing: skip`.
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
        "| | Gate | Baseline | Candidate | Effect (interval) | p | Threshold | Noise floor | Covers"
        " | Result |",
        "|---|---|---|---|---|---|---|---|---|---|",
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
        "–" if r.p_value is None else f"{r.p_value:.2g}",
        _cell(r.threshold),
        _floor(r),
        _cell(r.covers or "–"),
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
        if r.ci_low is not None and r.ci_high is not None:
            text += f" ({-r.ci_high:+.1f} to {-r.ci_low:+.1f})"
        return text
    text = f"×{r.estimate:.3f}"
    if r.ci_low is not None and r.ci_high is not None:
        text += f" ({r.ci_low:.3f}–{r.ci_high:.3f})"
    return text


def _floor(r: GateResult) -> str:
    if r.noise_floor is None:
        return "–" if r.kind == "absolute" or r.metric.startswith("golden") else "not calibrated"
    return f"{r.noise_floor:.1f}%"


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
