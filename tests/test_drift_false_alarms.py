"""Unchanged traffic raises (almost) no alarms: 20 seeded pairs of weeks drawn from the same
distribution (2,000 requests each), at most one false alarm per feature."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from harness.drift import compare, load_config, load_source
from tests._drift_fixtures import week_pair

REPEATS = 20


def test_at_most_one_false_alarm_per_feature_over_twenty_repeats(tmp_path: Path) -> None:
    alarms: Counter[str] = Counter()
    closest: dict[str, float] = {}
    for seed in range(REPEATS):
        pair = week_pair(tmp_path / f"logs{seed}", "none", seed=1000 + seed)
        reference = load_source([pair.reference], "--reference")
        current = load_source([pair.current], "--current")
        result = compare(reference, current, load_config(pair.config))
        assert result.n_features == 23
        for feature in result.features:
            alarms[feature.feature] += feature.drifted
            if feature.kind != "accuracy":
                ratio = feature.score / feature.threshold
                closest[feature.feature] = max(closest.get(feature.feature, 0.0), ratio)
    assert len(alarms) == 23 and len(closest) == 22
    assert max(alarms.values()) <= 1, alarms
    # Distances stay clearly under their thresholds, not just under by luck.
    assert max(closest.values()) < 0.95, closest
