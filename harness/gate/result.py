"""The outcome of a gate evaluation: one result per rule, plus the items whose verdict changed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]

EXIT_PASS = 0
EXIT_FAIL = 1


@dataclass(slots=True)
class GateResult:
    name: str
    kind: Literal["absolute", "relative"]
    metric: str
    status: Status
    message: str  # one line: what was compared and why it passed, failed or was skipped
    threshold: str  # the bound as written, e.g. "≤ 1500" or "≤ +10%"
    baseline: float | None = None
    candidate: float | None = None
    # Relative gates: the effect compared with the threshold (a ratio, or a drop in points),
    # its confidence interval and the two-sided p-value of "no change".
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    # The calibrated noise floor for this comparison (percent, or None when not calibrated).
    noise_floor: float | None = None
    covers: str = ""  # what noise the interval covers: requests, runs, items
    baseline_runs: int = 0
    candidate_runs: int = 0
    method: str = ""


def missing(result: GateResult, status: Status, why: str) -> GateResult:
    """`result` for a gate whose data is absent: the rules' ``missing`` status, and why."""
    result.status = status
    result.message = f"missing: {why}"
    return result


@dataclass(frozen=True, slots=True)
class ItemChange:
    set_name: str
    item_id: str
    expected: str
    baseline_output: str
    candidate_output: str


@dataclass(slots=True)
class GateReport:
    baseline: str
    candidate: str
    confidence: float
    model: str
    endpoint: str
    results: list[GateResult] = field(default_factory=list)
    newly_failing: list[ItemChange] = field(default_factory=list)
    newly_passing: list[ItemChange] = field(default_factory=list)
    evaluated_at: float = 0.0

    @property
    def passed(self) -> bool:
        return all(r.status != "fail" for r in self.results)

    @property
    def failed(self) -> list[GateResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def exit_code(self) -> int:
        return EXIT_PASS if self.passed else EXIT_FAIL

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data
