"""Absolute gates: one number of the candidate's summary against a fixed bound."""

from __future__ import annotations

from harness.config.gate import AbsoluteGate
from harness.gate.inputs import RunData
from harness.gate.result import GateResult, Status


def check_absolute(gate: AbsoluteGate, candidate: RunData, missing: Status) -> GateResult:
    threshold = f"≤ {gate.max:g}" if gate.max is not None else f"≥ {gate.min:g}"
    result = GateResult(
        name=gate.label, kind="absolute", metric=gate.metric, status="pass", message="", threshold=threshold
    )
    value = candidate.value(gate.metric)
    if value is None:
        result.status = missing
        result.message = f"{gate.metric} is not in the candidate's summary"
        return result
    result.candidate = value
    ok = value <= gate.max if gate.max is not None else value >= gate.min  # type: ignore[operator]
    result.status = "pass" if ok else "fail"
    result.message = f"{gate.metric} = {value:.6g} ({'within' if ok else 'outside'} {threshold})"
    result.method = "point value from the summary"
    return result
