"""The capacity gate: a candidate whose capacity at the SLOs (``capacity.slo_rps``, the answer of
``slm-harness capacity``) dropped by more than the allowed share fails.

A capacity search knows its answer to a bracket: the highest load that met the SLOs and the
lowest load above it that did not, each probe judged on an interval of its attainment (a probe
too short to decide is extended, not guessed). A drop is significant when the candidate missed
the SLOs at a load the baseline met: the two brackets are then apart, whatever the search's
precision. With several runs on a side, the answer is the mean over them, and the candidate
must have missed at a load every baseline run met. The bracket covers the search's resolution
and the probes' sampling noise, not run-to-run noise (searches are long: repeat them for that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.config.gate import CAPACITY, GateRules, RelativeGate
from harness.gate.inputs import Side
from harness.gate.performance import verdict
from harness.gate.result import GateResult, missing


@dataclass(frozen=True, slots=True)
class Search:
    """One capacity search's answer and bracket, loads in its own unit (req/s or users)."""

    by: str  # "rate" or "concurrency"
    slo_rps: float
    met: float  # the highest load that met the SLOs (0: not even one request at a time)
    missed: float  # the lowest load above it that did not (inf: none did)

    @classmethod
    def from_block(cls, block: dict[str, Any]) -> Search | None:
        by, slo_rps = block.get("by"), block.get("slo_rps")
        if by not in ("rate", "concurrency") or not isinstance(slo_rps, int | float):
            return None
        unit = "rate_rps" if by == "rate" else "users"
        met = float((slo_rps if by == "rate" else block.get("slo_concurrency")) or 0.0)
        failed = [
            float(p[unit])
            for p in block.get("probes") or []
            if p.get("passed") is False and isinstance(p.get(unit), int | float) and p[unit] > met
        ]
        return cls(by, float(slo_rps), met, min(failed, default=math.inf))


def searches(side: Side) -> list[Search]:
    """The capacity searches among the side's runs."""
    found = [Search.from_block(run.summary.get("capacity") or {}) for run in side.runs]
    return [s for s in found if s is not None]


def check_capacity(gate: RelativeGate, rules: GateRules, baseline: Side, candidate: Side) -> GateResult:
    limit = gate.max_decrease_pct or 0.0
    result = GateResult(
        name=gate.label,
        kind="relative",
        metric=CAPACITY,
        status="pass",
        message="",
        threshold=f"≥ -{limit:g}%",
    )
    found_b, found_c = searches(baseline), searches(candidate)
    result.baseline_runs, result.candidate_runs = len(found_b), len(found_c)
    lacking = [side.describe() for side, found in ((baseline, found_b), (candidate, found_c)) if not found]
    if lacking:
        return missing(
            result, rules.missing, f"no capacity search (slm-harness capacity) in {' nor '.join(lacking)}"
        )
    if len({s.by for s in [*found_b, *found_c]}) > 1:
        return missing(
            result,
            rules.missing,
            "one side searched by rate, the other by concurrency: compare searches of one kind",
        )
    base = sum(s.slo_rps for s in found_b) / len(found_b)
    cand = sum(s.slo_rps for s in found_c) / len(found_c)
    if not base > 0:
        return missing(result, rules.missing, "the baseline met the SLOs at no load")
    by_rate = found_b[0].by == "rate"
    met_b = min(s.met for s in found_b)  # met by every baseline search
    missed_c = max(s.missed for s in found_c)  # missed by every candidate search
    ratio = cand / base
    result.baseline, result.candidate, result.estimate = base, cand, ratio
    if by_rate:  # each capacity lies in its bracket [met, missed): so does their ratio
        missed_b = max(s.missed for s in found_b)
        result.ci_low = min(s.met for s in found_c) / missed_b if math.isfinite(missed_b) else 0.0
        result.ci_high = missed_c / met_b if math.isfinite(missed_c) else None
    beyond, significant = ratio < 1 - limit / 100, missed_c <= met_b
    result.status = "fail" if beyond and significant else "pass"
    unit = "req/s" if by_rate else "users"
    evidence = (
        f"the candidate missed the SLOs at {missed_c:g} {unit}, which the baseline met"
        if significant
        else "no load the baseline met was missed by the candidate"
    )
    result.message = (
        f"slo_rps {base:.3g}/s → {cand:.3g}/s (×{ratio:.3f}; {evidence}); "
        f"{verdict(beyond, significant, 'lower', limit)}"
    )
    result.covers = "the searches' brackets (resolution and each probe's attainment interval); not runs"
    result.method = f"capacity searches by {found_b[0].by}: loads met and missed on each side"
    return result
