"""The relative accuracy gate: an exact McNemar test on items answered in both runs.

Items pair by (set, item id). Rows that failed in transport are left out on either side;
an item asked in several rounds counts as correct when at least half of its scored answers
were. The drop is baseline accuracy - candidate accuracy on the paired items, in points.
The gate fails when the drop exceeds the threshold AND the two-sided exact McNemar
p-value is below 1 - confidence (with more newly failing than newly passing items).
Without golden results on both sides the summaries' accuracies are compared, with no test.
"""

from __future__ import annotations

import pandas as pd

from harness.config.gate import GateRules, RelativeGate
from harness.gate.inputs import RunData
from harness.gate.result import GateResult, ItemChange
from harness.gate.stats import mcnemar_exact

_KEY = ["set_name", "item_id"]


def per_item(golden: pd.DataFrame, golden_set: str | None = None) -> pd.DataFrame:
    """One row per scored item (index set_name, item_id): ``correct``, ``output``, ``expected``."""
    rows = golden[golden["error_kind"].isna()]
    if golden_set is not None:
        rows = rows[rows["set_name"] == golden_set]
    grouped = rows.assign(correct=rows["correct"].astype(float)).groupby(_KEY, sort=True)
    return pd.DataFrame(
        {
            "correct": grouped["correct"].mean() >= 0.5,
            "output": grouped["output"].last(),
            "expected": grouped["expected"].first(),
        }
    )


def paired(baseline: pd.DataFrame, candidate: pd.DataFrame, golden_set: str | None = None) -> pd.DataFrame:
    """Items scored in both runs, with ``correct_b``/``correct_c`` and both outputs."""
    return per_item(baseline, golden_set).join(
        per_item(candidate, golden_set), how="inner", lsuffix="_b", rsuffix="_c"
    )


def item_changes(pairs: pd.DataFrame) -> tuple[list[ItemChange], list[ItemChange]]:
    """(newly failing, newly passing) items of a `paired` frame."""

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


def check_accuracy(gate: RelativeGate, rules: GateRules, baseline: RunData, candidate: RunData) -> GateResult:
    limit = gate.max_drop_points or 0.0
    scope = f"golden.sets.{gate.golden_set}.accuracy" if gate.golden_set else "golden.accuracy"
    result = GateResult(
        name=gate.label,
        kind="relative",
        metric=scope,
        status="pass",
        message="",
        threshold=f"≥ -{limit:g} points",
    )
    if baseline.golden is None or candidate.golden is None:
        return _point_only(result, rules, baseline.value(scope), candidate.value(scope), limit)
    pairs = paired(baseline.golden, candidate.golden, gate.golden_set)
    if pairs.empty:
        result.status = rules.missing
        result.message = "no golden item was scored in both runs"
        return result
    b, c = pairs["correct_b"].astype(bool), pairs["correct_c"].astype(bool)
    newly_failing, newly_passing = int((b & ~c).sum()), int((~b & c).sum())
    acc_b, acc_c = float(b.mean()), float(c.mean())
    drop = (acc_b - acc_c) * 100
    p_value = mcnemar_exact(newly_failing, newly_passing)
    result.baseline, result.candidate, result.estimate, result.p_value = acc_b, acc_c, drop, p_value
    result.method = f"exact McNemar test on {len(pairs)} paired items"
    beyond = drop > limit
    significant = p_value < 1 - rules.confidence and newly_failing > newly_passing
    result.status = "fail" if beyond and significant else "pass"
    counts = f"{newly_failing} newly failing, {newly_passing} newly passing, p = {p_value:.3g}"
    if beyond and significant:
        verdict = f"dropped by more than {limit:g} points and significant"
    elif beyond:
        verdict = f"dropped by more than {limit:g} points but not significant"
    else:
        verdict = f"within {limit:g} points"
    result.message = f"accuracy {acc_b:.1%} → {acc_c:.1%} ({-drop:+.1f} points; {counts}); {verdict}"
    return result


def _point_only(
    result: GateResult, rules: GateRules, base: float | None, cand: float | None, limit: float
) -> GateResult:
    if base is None or cand is None:
        result.status = rules.missing
        result.message = f"{result.metric} is missing from a run (no golden results)"
        return result
    drop = (base - cand) * 100
    result.baseline, result.candidate, result.estimate = base, cand, drop
    result.method = "point values from the summaries (no golden.parquet: no significance test)"
    result.status = "fail" if drop > limit else "pass"
    result.message = f"accuracy {base:.1%} → {cand:.1%} ({-drop:+.1f} points)"
    return result
