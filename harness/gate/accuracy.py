"""The relative accuracy gate: items paired by (set, item id), the item as the unit.

Rows that failed in transport are left out. Each item's share of correct answers is taken
over all its scored answers on a side (every round of every run): repeated answers to one
item are not independent, so they are averaged before any test. Accuracy is the weighted
mean of the item shares; the drop is baseline − candidate accuracy on the paired items, in
points. Its interval is a paired t interval over the item differences (item-clustered). The
p-value is the exact McNemar test when every item was answered once on each side, else the
paired t test. The gate fails when the drop exceeds the threshold AND p < 1 − confidence
with the candidate worse. Without golden results on both sides the summaries' accuracies
are compared, with no test.
"""

from __future__ import annotations

import pandas as pd

from harness.config.gate import GateRules, RelativeGate
from harness.gate.inputs import Side
from harness.gate.result import GateResult, ItemChange
from harness.gate.stats import mcnemar_exact, paired_items

_KEY = ["set_name", "item_id"]


def per_item(golden: pd.DataFrame, golden_set: str | None = None) -> pd.DataFrame:
    """One row per scored item (index set_name, item_id): ``share`` of correct answers,
    ``answers``, ``weight``, ``correct`` (share ≥ 1/2), the last ``output`` and ``expected``."""
    rows = golden[golden["error_kind"].isna()]
    if golden_set is not None:
        rows = rows[rows["set_name"] == golden_set]
    weights = rows["weight"] if "weight" in rows else pd.Series(1.0, index=rows.index)
    grouped = rows.assign(correct=rows["correct"].astype(float), weight=weights.astype(float)).groupby(
        _KEY, sort=True
    )
    share = grouped["correct"].mean()
    return pd.DataFrame(
        {
            "share": share,
            "answers": grouped["correct"].size(),
            "weight": grouped["weight"].first(),
            "correct": share >= 0.5,
            "output": grouped["output"].last(),
            "expected": grouped["expected"].first(),
        }
    )


def paired(baseline: pd.DataFrame, candidate: pd.DataFrame, golden_set: str | None = None) -> pd.DataFrame:
    """Items scored on both sides, columns of `per_item` suffixed ``_b`` and ``_c``."""
    return per_item(baseline, golden_set).join(
        per_item(candidate, golden_set), how="inner", lsuffix="_b", rsuffix="_c"
    )


def item_changes(pairs: pd.DataFrame) -> tuple[list[ItemChange], list[ItemChange]]:
    """(newly failing, newly passing) items of a `paired` frame (by their majority verdict)."""

    def changes(mask: pd.Series) -> list[ItemChange]:
        chosen = pairs[mask]
        return [
            ItemChange(
                set_name=str(key[0]),
                item_id=str(key[1]),
                expected=str(expected),
                baseline_output=str(baseline_output),
                candidate_output=str(candidate_output),
            )
            for key, expected, baseline_output, candidate_output in zip(
                chosen.index, chosen["expected_b"], chosen["output_b"], chosen["output_c"], strict=True
            )
        ]

    b, c = pairs["correct_b"].astype(bool), pairs["correct_c"].astype(bool)
    return changes(b & ~c), changes(~b & c)


def check_accuracy(gate: RelativeGate, rules: GateRules, baseline: Side, candidate: Side) -> GateResult:
    limit = gate.max_drop_points or 0.0
    scope = f"golden.sets.{gate.golden_set}.accuracy" if gate.golden_set else "golden.accuracy"
    result = GateResult(
        name=gate.label,
        kind="relative",
        metric=scope,
        status="pass",
        message="",
        threshold=f"≥ -{limit:g} points",
        baseline_runs=sum(r.golden is not None for r in baseline.runs),
        candidate_runs=sum(r.golden is not None for r in candidate.runs),
    )
    if baseline.golden is None or candidate.golden is None:
        return _point_only(result, rules, baseline, candidate, limit)
    pairs = paired(baseline.golden, candidate.golden, gate.golden_set)
    if pairs.empty:
        result.status = rules.missing
        result.message = "missing: no golden item was scored on both sides"
        return result
    means = paired_items(
        pairs["share_b"].to_numpy(float),
        pairs["share_c"].to_numpy(float),
        pairs["weight_b"].to_numpy(float),
        rules.confidence,
    )
    b, c = pairs["correct_b"].astype(bool), pairs["correct_c"].astype(bool)
    newly_failing, newly_passing = int((b & ~c).sum()), int((~b & c).sum())
    once = bool((pairs["answers_b"] == 1).all() and (pairs["answers_c"] == 1).all())
    p_value = mcnemar_exact(newly_failing, newly_passing) if once else means.p_value
    drop = means.drop * 100
    result.baseline, result.candidate, result.p_value = means.baseline, means.candidate, p_value
    result.estimate, result.ci_low, result.ci_high = drop, means.low * 100, means.high * 100
    answers_b, answers_c = pairs["answers_b"].mean(), pairs["answers_c"].mean()
    result.covers = (
        f"items ({len(pairs)} paired; {answers_b:.3g} and {answers_c:.3g} answers per item,"
        " averaged per item)"
    )
    result.method = (
        f"exact McNemar test on {len(pairs)} paired items; paired t interval"
        if once
        else f"paired t test on per-item shares of correct answers, {len(pairs)} items, {len(pairs) - 1} df"
    )
    beyond = drop > limit
    significant = p_value < 1 - rules.confidence and drop > 0
    result.status = "fail" if beyond and significant else "pass"
    counts = f"{newly_failing} newly failing, {newly_passing} newly passing, p = {p_value:.2g}"
    if beyond and significant:
        verdict = f"dropped by more than {limit:g} points and significant"
    elif beyond:
        verdict = f"dropped by more than {limit:g} points but not significant"
    else:
        verdict = f"within {limit:g} points"
    interval = f"{rules.confidence:.0%} CI of the drop {result.ci_low:.1f}–{result.ci_high:.1f}"
    result.message = (
        f"accuracy {means.baseline:.1%} → {means.candidate:.1%} ({-drop:+.1f} points, {interval}; {counts});"
        f" {verdict}"
    )
    return result


def _point_only(
    result: GateResult, rules: GateRules, baseline: Side, candidate: Side, limit: float
) -> GateResult:
    base, cand = baseline.value(result.metric), candidate.value(result.metric)
    if base is None or cand is None:
        lacking = [s.describe() for s, v in ((baseline, base), (candidate, cand)) if v is None]
        result.status = rules.missing
        result.message = f"missing: no golden results ({result.metric}) in {' nor '.join(lacking)}"
        return result
    drop = (base - cand) * 100
    result.baseline, result.candidate, result.estimate = base, cand, drop
    result.covers = "nothing (point values)"
    result.method = "point values from the summaries (no golden.parquet: no significance test)"
    result.status = "fail" if drop > limit else "pass"
    result.message = f"accuracy {base:.1%} → {cand:.1%} ({-drop:+.1f} points)"
    return result
