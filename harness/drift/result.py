"""The outcome of one drift comparison and its ``drift.json`` form.

``drift.json`` is what scripts read: keys are stable and ``schema_version`` changes when they do.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from harness.drift.sample import LogQuality

SCHEMA_VERSION = 1

NUMERIC = "numeric"
CATEGORICAL = "categorical"
ACCURACY = "accuracy"
EMBEDDING = "embedding"
ACCURACY_FEATURE = "golden_accuracy"


@dataclass(slots=True)
class Region:
    """Where a feature's distribution grew most: a value range or a category."""

    description: str  # e.g. "output_tokens in [412, 530)" or "prompt_kw_billing = yes"
    reference_share: float
    current_share: float
    examples_from: str  # "prompt" or "output"
    population: str = "requests"  # what the shares are shares of
    examples: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FeatureDrift:
    feature: str
    kind: str  # NUMERIC, CATEGORICAL, ACCURACY or EMBEDDING
    method: str
    score: float
    threshold: float
    drifted: bool
    reference_mean: float | None = None  # yes-share for yes/no features, accuracy for golden_accuracy
    current_mean: float | None = None
    change_pct: float | None = None
    change_points: float | None = None  # accuracy only: percentage points
    n_reference: int | None = None
    n_current: int | None = None
    region: Region | None = None

    @property
    def severity(self) -> float:
        """How far past (or short of) its threshold the feature is, comparable across methods."""
        if self.kind == ACCURACY:
            # score is a p-value: smaller is stronger evidence.
            return math.log10(max(self.score, 1e-300)) / math.log10(self.threshold)
        return self.score / self.threshold


@dataclass(slots=True)
class SampleInfo:
    label: str
    sources: list[str]
    rows: int
    graded: int
    start: datetime | None
    end: datetime | None
    week: str | None = None
    model: str | None = None
    endpoint: str | None = None


@dataclass(slots=True)
class WeekTrend:
    week: str
    requests: int
    error_rate: float
    e2e_p50_s: float | None
    output_tokens_mean: float | None
    graded: int
    accuracy: float | None


@dataclass(slots=True)
class DriftResult:
    reference: SampleInfo
    current: SampleInfo
    features: list[FeatureDrift]
    drift_share_threshold: float
    created_at: datetime
    skipped: dict[str, str] = field(default_factory=dict)  # feature -> why it was not compared
    notes: list[str] = field(default_factory=list)
    # Log lines read per input: "reference" and "current", or "logs" when both came from one set.
    quality: dict[str, LogQuality] = field(default_factory=dict)
    trend: list[WeekTrend] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def n_drifted(self) -> int:
        return sum(f.drifted for f in self.features)

    @property
    def drift_share(self) -> float:
        return self.n_drifted / self.n_features if self.features else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.features) and self.drift_share >= self.drift_share_threshold

    @property
    def accuracy(self) -> FeatureDrift | None:
        return next((f for f in self.features if f.kind == ACCURACY), None)

    @property
    def detected(self) -> bool:
        """What ``--fail-on-drift`` and ``slm_drift_detected`` report: any feature drifted.
        Every threshold is a substantial change (a distance, not a p-value; the accuracy test
        asks for significance and size), so one drifted feature is worth acting on."""
        return self.n_drifted > 0

    def drifted_features(self) -> list[FeatureDrift]:
        """Drifted features, golden accuracy first, then strongest first."""
        drifted = [f for f in self.features if f.drifted]
        return sorted(drifted, key=lambda f: (f.kind != ACCURACY, -f.severity))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "created_at": self.created_at.isoformat(),
            "dataset_drift": self.dataset_drift,
            "drift_detected": self.detected,
            "drift_share": self.drift_share,
            "drift_share_threshold": self.drift_share_threshold,
            "n_drifted": self.n_drifted,
            "n_features": self.n_features,
            "reference": _sample_dict(self.reference),
            "current": _sample_dict(self.current),
            "log_quality": {name: _quality_dict(q) for name, q in self.quality.items()},
            "features": [_feature_dict(f) for f in self.features],
            "skipped_features": dict(self.skipped),
            "weekly_trend": [asdict(week) for week in self.trend],
            "notes": list(self.notes),
        }


def _sample_dict(info: SampleInfo) -> dict[str, Any]:
    out = asdict(info)
    out["start"] = info.start.isoformat() if info.start else None
    out["end"] = info.end.isoformat() if info.end else None
    return out


def _quality_dict(quality: LogQuality) -> dict[str, Any]:
    return {
        "lines": quality.lines,
        "invalid_lines": quality.invalid,
        "invalid_examples": [str(issue) for issue in quality.issues],
    }


def _feature_dict(feature: FeatureDrift) -> dict[str, Any]:
    out = asdict(feature)
    out["score"] = _finite(feature.score)
    for key in ("reference_mean", "current_mean", "change_pct", "change_points"):
        out[key] = _finite(out[key])
    if feature.kind != ACCURACY:
        del out["change_points"]
    return out


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
