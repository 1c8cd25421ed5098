"""Gate rules as users write them (``--rules gates.yaml``); see golden/README.md for the decision rules.

Absolute gates compare one number of the candidate's ``summary.json`` (a dotted key such as
``latency.ttft_ms.p95``) with a bound. Relative gates compare candidate with baseline and
fail only on a regression that is both larger than the threshold and statistically
significant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from harness.config._base import StrictModel
from harness.config.errors import invalid
from harness.config.golden_set import read_yaml_mapping
from harness.config.validation import from_validation_error

LATENCY_METRICS: tuple[str, ...] = ("ttft_ms", "ttfc_ms", "tpot_ms", "itl_ms", "e2e_ms")
THROUGHPUT_METRICS: tuple[str, ...] = ("requests_per_s", "output_tokens_per_s")
STATS: tuple[str, ...] = ("p50", "p90", "p95", "p99", "mean")
ACCURACY = "accuracy"
CAPACITY = "slo_rps"  # the capacity search's answer: the highest load that met the SLOs


class AbsoluteGate(StrictModel):
    name: str | None = Field(default=None, min_length=1)
    metric: str = Field(min_length=1)  # dotted key of summary.json, e.g. latency.ttft_ms.p95
    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> AbsoluteGate:
        if (self.max is None) == (self.min is None):
            raise invalid("needs exactly one of max and min", "write max: <value> or min: <value>", at="max")
        return self

    @property
    def label(self) -> str:
        bound = f"≤ {self.max:g}" if self.max is not None else f"≥ {self.min:g}"
        return self.name or f"{self.metric} {bound}"


class RelativeGate(StrictModel):
    name: str | None = Field(default=None, min_length=1)
    metric: Literal[
        "ttft_ms",
        "ttfc_ms",
        "tpot_ms",
        "itl_ms",
        "e2e_ms",
        "requests_per_s",
        "output_tokens_per_s",
        "accuracy",
        "slo_rps",
    ]
    stat: Literal["p50", "p90", "p95", "p99", "mean"] = "p95"  # latency metrics only
    max_increase_pct: float | None = Field(default=None, ge=0.0)  # latency: allowed slowdown
    max_decrease_pct: float | None = Field(default=None, ge=0.0, lt=100.0)  # throughput, capacity: loss
    max_drop_points: float | None = Field(default=None, ge=0.0, le=100.0)  # accuracy, percentage points
    golden_set: str | None = None  # accuracy only: one set (default: every set both runs share)

    @model_validator(mode="after")
    def _threshold_fits_metric(self) -> RelativeGate:
        wanted = self.threshold_field
        for field in ("max_increase_pct", "max_decrease_pct", "max_drop_points"):
            if field != wanted and getattr(self, field) is not None:
                raise invalid(f"does not apply to metric {self.metric}", f"use {wanted} instead", at=field)
        if getattr(self, wanted) is None:
            raise invalid(f"metric {self.metric} needs {wanted}", f"add {wanted}: <value>", at=wanted)
        if self.golden_set is not None and self.metric != ACCURACY:
            raise invalid("applies to the accuracy metric only", "remove it", at="golden_set")
        return self

    @property
    def threshold_field(self) -> str:
        if self.metric in LATENCY_METRICS:
            return "max_increase_pct"
        if self.metric in THROUGHPUT_METRICS or self.metric == CAPACITY:
            return "max_decrease_pct"
        return "max_drop_points"

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.metric in LATENCY_METRICS:
            return f"{self.metric} {self.stat} ≤ +{self.max_increase_pct:g}% vs baseline"
        if self.metric in THROUGHPUT_METRICS:
            return f"{self.metric} ≥ -{self.max_decrease_pct:g}% vs baseline"
        if self.metric == CAPACITY:
            return f"capacity {self.metric} ≥ -{self.max_decrease_pct:g}% vs baseline"
        scope = f" ({self.golden_set})" if self.golden_set else ""
        return f"accuracy{scope} ≥ -{self.max_drop_points:g} points vs baseline"


def _default_relative() -> list[RelativeGate]:
    return [
        RelativeGate(metric="ttft_ms", stat="p95", max_increase_pct=10.0),
        RelativeGate(metric="tpot_ms", stat="p50", max_increase_pct=10.0),
        RelativeGate(metric="e2e_ms", stat="p95", max_increase_pct=10.0),
        RelativeGate(metric="requests_per_s", max_decrease_pct=10.0),
        RelativeGate(metric="accuracy", max_drop_points=2.0),
    ]


class GateRules(StrictModel):
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)  # of the intervals and tests
    bootstrap_resamples: int = Field(default=2000, ge=200, le=100_000)
    seed: int = 0  # bootstrap resampling seed: the same inputs always give the same verdict
    missing: Literal["skip", "fail"] = "fail"  # a gate whose data is absent from either side
    absolute: list[AbsoluteGate] = Field(default_factory=list)
    relative: list[RelativeGate] = Field(default_factory=_default_relative)

    @model_validator(mode="after")
    def _unique_labels(self) -> GateRules:
        seen: set[str] = set()
        for where, gates in (("absolute", self.absolute), ("relative", self.relative)):
            for gate in gates:
                if gate.label in seen:
                    raise invalid(
                        f"two gates are both named {gate.label!r}",
                        "give one of them a distinct name",
                        at=where,
                    )
                seen.add(gate.label)
        return self

    def relative_for(self, has_golden: bool) -> list[RelativeGate]:
        """The relative rules to evaluate: without a ``relative`` section, the default accuracy
        rule applies only when either side has golden results."""
        if has_golden or "relative" in self.model_fields_set:
            return list(self.relative)
        return [gate for gate in self.relative if gate.metric != ACCURACY]


def load_gate_rules(path: Path | None) -> GateRules:
    """The rules in `path`, or the defaults (relative gates only) when `path` is None."""
    if path is None:
        return GateRules()
    data = read_yaml_mapping(path)
    try:
        return GateRules.model_validate(data)
    except ValidationError as e:
        raise from_validation_error(e, str(path), GateRules) from None
