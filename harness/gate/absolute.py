"""Absolute gates: one number of the candidate's summary against a fixed bound.

With several candidate runs the number is the mean over the runs that have it; golden keys
come from all the candidate's golden results together.
"""

from __future__ import annotations

from harness.config.gate import AbsoluteGate
from harness.gate.inputs import Side
from harness.gate.result import GateResult, Status


def check_absolute(gate: AbsoluteGate, candidate: Side, missing: Status) -> GateResult:
    threshold = f"≤ {gate.max:g}" if gate.max is not None else f"≥ {gate.min:g}"
    result = GateResult(
        name=gate.label,
        kind="absolute",
        metric=gate.metric,
        status="pass",
        message="",
        threshold=threshold,
        candidate_runs=len(candidate.runs),
    )
    value = candidate.value(gate.metric)
    if value is None:
        result.status = missing
        result.message = f"missing: {gate.metric} is not in the summary of {candidate.describe()}"
        return result
    result.candidate = value
    ok = value <= gate.max if gate.max is not None else value >= gate.min  # type: ignore[operator]
    result.status = "pass" if ok else "fail"
    mean = " (mean over runs)" if len(candidate.runs) > 1 and not gate.metric.startswith("golden.") else ""
    result.message = f"{gate.metric} = {value:.6g}{mean} ({'within' if ok else 'outside'} {threshold})"
    result.method = "point value from the summary"
    result.covers = "nothing (a bound, not a comparison)"
    return result
