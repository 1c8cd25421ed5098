"""``drift.md``: the drift report as an ML lead reads it — verdict first, then what moved, by
how much, where (with example prompts), the accuracy trend, and what the data lacked."""

from __future__ import annotations

from harness.drift.engine import CATEGORICAL_METHOD, EMBEDDING_METHOD, NUMERIC_METHOD
from harness.drift.result import ACCURACY, CATEGORICAL, DriftResult, FeatureDrift, SampleInfo, WeekTrend

METHOD_NAMES = {
    NUMERIC_METHOD: "Wasserstein distance (normed)",
    CATEGORICAL_METHOD: "Jensen–Shannon distance",
    EMBEDDING_METHOD: "classifier ROC AUC",
}
MAX_REGIONS = 4  # drifted features shown with example texts


def render_markdown(result: DriftResult) -> str:
    lines = [f"# Drift report: {_name(result.current)} vs {_name(result.reference)}", ""]
    lines += _verdict(result)
    lines += _what_drifted(result)
    lines += _trend(result.trend)
    lines += _regions(result)
    lines += _stable(result)
    lines += _data_notes(result)
    return "\n".join(lines).rstrip() + "\n"


def _name(info: SampleInfo) -> str:
    return info.week or info.label


def _verdict(result: DriftResult) -> list[str]:
    if result.detected:
        names = ", ".join(f"`{f.feature}`" for f in result.drifted_features())
        head = f"**Verdict: drift detected** in {result.n_drifted} of {result.n_features} features: {names}."
    else:
        head = f"**Verdict: no drift detected** in {result.n_features} features."
    head += (
        f" Dataset drift (at least {result.drift_share_threshold:.0%} of features drifted): "
        f"{'yes' if result.dataset_drift else 'no'} ({result.drift_share:.0%})."
    )
    accuracy = result.accuracy
    if accuracy is not None:
        head += " " + _accuracy_sentence(accuracy)
    return [
        head,
        "",
        f"- Reference: {_describe(result.reference)}",
        f"- Current: {_describe(result.current)}",
        "",
    ]


def _accuracy_sentence(feature: FeatureDrift) -> str:
    ref, cur, points = feature.reference_mean, feature.current_mean, feature.change_points
    assert ref is not None and cur is not None and points is not None
    trend = "fell" if points < 0 else "rose"
    significance = "significant" if feature.drifted else "not a significant change"
    return (
        f"Golden accuracy {trend} {abs(points):.1f} points ({ref:.1%} → {cur:.1%}, "
        f"{_p(feature.score)}; {significance})."
    )


def _describe(info: SampleInfo) -> str:
    span = f", {info.start:%Y-%m-%d} to {info.end:%Y-%m-%d}" if info.start and info.end else ""
    graded = f", {info.graded:,} graded" if info.graded else ""
    return f"{_name(info)} — {info.rows:,} requests{graded}{span} ({', '.join(info.sources)})"


def _what_drifted(result: DriftResult) -> list[str]:
    drifted = result.drifted_features()
    if not drifted:
        return ["## What drifted", "", "Nothing: every feature stayed under its threshold.", ""]
    out = [
        "## What drifted",
        "",
        "| feature | change | score | threshold | method |",
        "|---|---|---|---|---|",
    ]
    for f in drifted:
        out.append(f"| `{f.feature}` | {_change(f)} | {_score(f)} | {_threshold(f)} | {_method(f)} |")
    return [*out, ""]


def _change(feature: FeatureDrift) -> str:
    ref, cur = feature.reference_mean, feature.current_mean
    if feature.kind == ACCURACY and ref is not None and cur is not None:
        return f"{ref:.1%} → {cur:.1%} ({feature.change_points:+.1f} points)"
    if feature.kind == CATEGORICAL and ref is not None and cur is not None:
        return f"share 'yes' {ref:.1%} → {cur:.1%}"
    if ref is None or cur is None:
        region = feature.region
        if region is None:
            return "distribution changed"
        return f"{region.description}: {region.reference_share:.0%} → {region.current_share:.0%} of requests"
    pct = f" ({feature.change_pct:+.1f} %)" if feature.change_pct is not None else ""
    return f"mean {_num(ref)} → {_num(cur)}{pct}"


def _trend(trend: list[WeekTrend]) -> list[str]:
    if not trend:
        return []
    out = [
        "## Accuracy and traffic by week",
        "",
        "| week | requests | error rate | p50 E2E | mean output tokens | graded | golden accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in trend:
        e2e = f"{w.e2e_p50_s * 1000:.0f} ms" if w.e2e_p50_s is not None else "–"
        tokens = f"{w.output_tokens_mean:.0f}" if w.output_tokens_mean is not None else "–"
        accuracy = f"{w.accuracy:.1%}" if w.accuracy is not None else "–"
        cells = [w.week, f"{w.requests:,}", f"{w.error_rate:.1%}", e2e, tokens, f"{w.graded:,}", accuracy]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def _regions(result: DriftResult) -> list[str]:
    shown = _region_features(result)
    if not shown:
        return []
    out = ["## Where traffic moved", ""]
    for f in shown:
        region = f.region
        assert region is not None
        out.append(
            f"**`{f.feature}`** — {region.description}: {region.reference_share:.0%} of reference "
            f"{region.population}, {region.current_share:.0%} of current ones."
        )
        if region.examples:
            out += ["", f"Example {region.examples_from}s from the current sample:", ""]
            out += [f"> {text}" + "\n" for text in region.examples]
        out.append("")
    return out


def _region_features(result: DriftResult) -> list[FeatureDrift]:
    """Accuracy first, then keyword and regex features (they name what moved), then one
    descriptor per text (prompt, output): correlated descriptors would repeat the same examples."""
    with_region = [f for f in result.drifted_features() if f.region is not None]
    named = [f for f in with_region if f.kind == ACCURACY or "_kw_" in f.feature or "_re_" in f.feature]
    chosen = list(named)
    sources = set()
    for f in with_region:
        region = f.region
        assert region is not None
        if f not in named and region.examples_from not in sources:
            sources.add(region.examples_from)
            chosen.append(f)
    return chosen[:MAX_REGIONS]


def _stable(result: DriftResult) -> list[str]:
    stable = [f for f in result.features if not f.drifted]
    if not stable:
        return []
    items = ", ".join(f"`{f.feature}` {_score(f)}/{_threshold(f)}" for f in stable)
    return ["## Features without drift (score/threshold)", "", items, ""]


def _data_notes(result: DriftResult) -> list[str]:
    notes = list(result.notes)
    for side, quality in result.quality.items():
        if quality.invalid:
            shown = "; ".join(str(issue) for issue in quality.issues[:3])
            notes.append(
                f"{side}: {quality.invalid} of {quality.lines} log lines skipped as invalid (e.g. {shown})"
            )
    for feature, reason in result.skipped.items():
        notes.append(f"`{feature}` not compared: {reason}")
    if not notes:
        return []
    return ["## Data notes", "", *[f"- {note}" for note in notes], ""]


def _method(feature: FeatureDrift) -> str:
    return METHOD_NAMES.get(feature.method, feature.method)


def _score(feature: FeatureDrift) -> str:
    return _p(feature.score) if feature.kind == ACCURACY else f"{feature.score:.3f}"


def _threshold(feature: FeatureDrift) -> str:
    return f"p < {feature.threshold:g}" if feature.kind == ACCURACY else f"{feature.threshold:g}"


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
