"""Drift metrics reach a real Pushgateway under job slm_drift, grouped by the report's run id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests._drift_fixtures import drift, read_report, week_pair
from tests.support_prometheus import pushgateway


def test_weekly_report_pushes_share_verdict_and_feature_scores(tmp_path: Path) -> None:
    pair = week_pair(tmp_path / "logs", "longer-outputs", requests_per_week=1500)
    out = tmp_path / "20250113T000000Z-drift-weekly-0000"
    with pushgateway(tmp_path) as gateway:
        result = drift(
            "weekly",
            pair.reference.parent,
            "--config",
            pair.config,
            "--out",
            out,
            "--pushgateway",
            gateway.url,
        )
        assert result.exit_code == 0, result.output
        text = gateway.metrics_text()
    report = read_report(out)
    samples = {
        (s.name, s.labels.get("feature", "")): s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("slm_drift")
    }
    share = samples[("slm_drift_share_ratio", "")]
    assert share.labels["job"] == "slm_drift" and share.labels["run_id"] == out.name
    assert share.labels["model"] == "support-slm"
    assert share.value == report.json["drift_share"] > 0
    assert samples[("slm_drift_detected", "")].value == 1
    for feature in report.json["features"]:
        assert samples[("slm_drift_feature_score", feature["feature"])].value == feature["score"]
    assert samples[("slm_drift_timestamp_seconds", "")].value > 1.7e9
    assert re.search(r'slm_run_info\{.*run_id="20250113T000000Z-drift-weekly-0000"', text)


def test_an_unreachable_pushgateway_only_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pair = week_pair(tmp_path / "logs", "none", requests_per_week=300)
    out = tmp_path / "out"
    result = drift(
        "--reference",
        pair.reference,
        "--current",
        pair.current,
        "--out",
        out,
        "--pushgateway",
        "http://127.0.0.1:9",
    )
    assert result.exit_code == 0
    assert (out / "drift.json").exists()
    assert "pushgateway http://127.0.0.1:9: metrics of job slm_drift not pushed" in caplog.text
