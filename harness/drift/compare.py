"""Comparing two samples: features, Evidently distances, the accuracy test, shifted regions.

``compare`` returns the `DriftResult`; ``write_report`` puts ``drift.html`` (Evidently),
``drift.json`` and ``drift.md`` in a folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness.drift import accuracy, embeddings
from harness.drift.config import DriftConfig
from harness.drift.engine import ColumnScore, evidently_drift
from harness.drift.features import FeatureSet, build_features, text_source
from harness.drift.markdown import render_markdown
from harness.drift.regions import shifted_region
from harness.drift.result import (
    ACCURACY,
    ACCURACY_FEATURE,
    CATEGORICAL,
    EMBEDDING,
    NUMERIC,
    DriftResult,
    FeatureDrift,
    Region,
    SampleInfo,
    WeekTrend,
)
from harness.drift.sample import LogQuality, Sample
from harness.drift.text import YES

HTML_FILE = "drift.html"
JSON_FILE = "drift.json"
MARKDOWN_FILE = "drift.md"


@dataclass(slots=True)
class Context:
    """What the caller knows beyond the two samples (weekly mode fills it)."""

    reference_week: str | None = None
    current_week: str | None = None
    trend: list[WeekTrend] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def compare(
    reference: Sample,
    current: Sample,
    config: DriftConfig,
    html_path: Path | None = None,
    use_embeddings: bool = False,
    context: Context | None = None,
) -> DriftResult:
    """Drift of ``current`` against ``reference``; writes Evidently's HTML to ``html_path``."""
    context = context or Context()
    ref_features = build_features(reference.frame, config)
    cur_features = build_features(current.frame, config)
    skipped: dict[str, str] = {}
    numeric = _comparable(ref_features, cur_features, ref_features.numeric, skipped)
    categorical = _comparable(ref_features, cur_features, ref_features.categorical, skipped)
    scores = evidently_drift(
        ref_features.frame,
        cur_features.frame,
        numeric,
        categorical,
        config.thresholds,
        config.drift_share,
        html_path,
    )
    features = [_column_drift(name, NUMERIC, scores[name], ref_features, cur_features) for name in numeric]
    features += [
        _column_drift(name, CATEGORICAL, scores[name], ref_features, cur_features) for name in categorical
    ]
    accuracy_drift = _accuracy(reference, current, config, skipped)
    if accuracy_drift is not None:
        features.insert(0, accuracy_drift)
    if use_embeddings:
        features += embeddings.embedding_drifts(reference.frame, current.frame, config.embeddings, skipped)
    for feature in features:
        if feature.drifted:
            feature.region = _region(feature, ref_features, cur_features, reference, current)
    notes = list(context.notes)
    if min(len(reference.frame), len(current.frame)) < config.min_rows:
        notes.append(
            f"small samples ({len(reference.frame):,} reference and "
            f"{len(current.frame):,} current requests): "
            f"below {config.min_rows:,} per side the distances are noisy"
        )
    return DriftResult(
        reference=_info(reference, context.reference_week),
        current=_info(current, context.current_week),
        features=features,
        drift_share_threshold=config.drift_share,
        created_at=datetime.now(UTC),
        skipped=skipped,
        notes=notes,
        quality=_quality(reference, current),
        trend=context.trend,
    )


def write_report(result: DriftResult, out_dir: Path) -> None:
    """``drift.json`` and ``drift.md`` next to the ``drift.html`` `compare` wrote."""
    (out_dir / JSON_FILE).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    (out_dir / MARKDOWN_FILE).write_text(render_markdown(result), encoding="utf-8")


def _comparable(
    ref: FeatureSet, cur: FeatureSet, names: tuple[str, ...], skipped: dict[str, str]
) -> list[str]:
    kept = []
    for name in names:
        if ref.frame[name].isna().all():
            skipped[name] = "no values in the reference"
        elif cur.frame[name].isna().all():
            skipped[name] = "no values in the current sample"
        else:
            kept.append(name)
    return kept


def _column_drift(name: str, kind: str, score: ColumnScore, ref: FeatureSet, cur: FeatureSet) -> FeatureDrift:
    ref_values, cur_values = ref.frame[name].dropna(), cur.frame[name].dropna()
    if kind == NUMERIC:
        ref_mean, cur_mean = float(ref_values.mean()), float(cur_values.mean())
    elif set(ref_values.unique()) | set(cur_values.unique()) <= {YES, "no"}:
        ref_mean, cur_mean = float((ref_values == YES).mean()), float((cur_values == YES).mean())
    else:
        return FeatureDrift(name, kind, score.method, score.score, score.threshold, score.drifted)
    change = 100.0 * (cur_mean - ref_mean) / ref_mean if ref_mean else None
    return FeatureDrift(
        name,
        kind,
        score.method,
        score.score,
        score.threshold,
        score.drifted,
        reference_mean=ref_mean,
        current_mean=cur_mean,
        change_pct=change,
        n_reference=len(ref_values),
        n_current=len(cur_values),
    )


def _accuracy(
    reference: Sample, current: Sample, config: DriftConfig, skipped: dict[str, str]
) -> FeatureDrift | None:
    test = config.accuracy
    change = accuracy.compare_accuracy(reference.graded, current.graded, test.alpha, test.min_change_points)
    if change is None:
        side = "reference" if reference.graded.empty else "current sample"
        skipped[ACCURACY_FEATURE] = f"no graded requests in the {side}"
        return None
    return FeatureDrift(
        ACCURACY_FEATURE,
        ACCURACY,
        accuracy.METHOD,
        change.p_value,
        change.alpha,
        change.drifted,
        reference_mean=change.reference,
        current_mean=change.current,
        change_pct=100.0 * (change.current - change.reference) / change.reference
        if change.reference
        else None,
        change_points=change.change_points,
        n_reference=change.n_reference,
        n_current=change.n_current,
    )


def _region(
    feature: FeatureDrift, ref: FeatureSet, cur: FeatureSet, reference: Sample, current: Sample
) -> Region | None:
    if feature.kind == EMBEDDING:
        return None
    if feature.kind == ACCURACY:
        if reference.golden is not None or current.golden is not None:
            return None  # golden results of a run are not tied to request rows
        answers = {1.0: "correct", 0.0: "incorrect"}
        return shifted_region(
            "graded",
            reference.frame["correct"].map(answers),
            current.frame["correct"].map(answers),
            current.frame["prompt"],
            "prompt",
            population="graded requests",
        )
    source = text_source(feature.feature)
    texts = current.frame[source]
    if texts.isna().all():
        source = "output" if source == "prompt" else "prompt"
        texts = current.frame[source]
    return shifted_region(
        feature.feature, ref.frame[feature.feature], cur.frame[feature.feature], texts, source
    )


def _quality(reference: Sample, current: Sample) -> dict[str, LogQuality]:
    if reference.quality is current.quality:
        return {"logs": reference.quality} if reference.quality.lines else {}
    return {
        name: s.quality for name, s in (("reference", reference), ("current", current)) if s.quality.lines
    }


def _info(sample: Sample, week: str | None) -> SampleInfo:
    return SampleInfo(
        label=sample.label,
        sources=list(sample.sources),
        rows=len(sample.frame),
        graded=len(sample.graded),
        start=sample.start,
        end=sample.end,
        week=week,
        model=sample.model,
        endpoint=sample.endpoint,
    )
