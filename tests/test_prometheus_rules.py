"""The shipped Prometheus config, recording rules and alerts pass promtool and its unit tests."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from harness.publish import catalogue as c
from tests import support_prometheus as prom

PROMETHEUS = prom.REPO / "dashboards" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
ALERTS = {
    "SLMTTFTP95OverSLO",
    "SLMErrorRateHigh",
    "SLMGoldenAccuracyDrop",
    "SLMDriftDetected",
    "SLMGPUMemoryNearlyFull",
}


def _rules() -> list[dict[str, str]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def test_config_and_rules_pass_promtool_check() -> None:
    config = prom.promtool("check", "config", PROMETHEUS / "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr
    assert "2 rule files found" in config.stdout
    rules = prom.promtool("check", "rules", *RULE_FILES)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert rules.stdout.count("SUCCESS") == len(RULE_FILES) == 2


def test_alert_unit_tests_pass() -> None:
    tests = sorted((PROMETHEUS / "tests").glob("*.yml"))
    assert tests
    result = prom.promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every alert has at least one case where it must fire.
    text = "\n".join(path.read_text() for path in tests)
    for alert in ALERTS:
        assert re.search(rf"alertname: {alert}\n\s+exp_alerts:\n\s+- exp_labels", text), alert


def test_a_broken_expectation_fails_the_unit_tests(tmp_path: Path) -> None:
    # The unit tests are able to fail: shift one expected value and promtool must say so.
    source = (PROMETHEUS / "tests" / "slm-alerts-test.yml").read_text()
    broken = tmp_path / "broken-test.yml"
    broken.write_text(
        source.replace("value: 0.25", "value: 0.3", 1).replace("../rules/", f"{PROMETHEUS}/rules/")
    )
    result = prom.promtool("test", "rules", broken)
    assert result.returncode == 1
    assert "slm:request_errors:ratio_rate1m" in result.stdout + result.stderr


def test_the_issue_alerts_exist_and_only_use_catalogue_metrics() -> None:
    rules = _rules()
    assert {r["alert"] for r in rules if "alert" in r} == ALERTS
    recorded = {r["record"] for r in rules if "record" in r}
    for rule in rules:
        for name in re.findall(r"(?<![\w\"])(slm_[a-z0-9_]+)", rule["expr"]):
            base = re.sub(r"_(bucket|count|sum)$", "", name)
            assert name in c.BY_NAME or base in c.BY_NAME, (
                f"{name} in {rule.get('alert') or rule.get('record')}"
            )
        for name in re.findall(r"\b(slm:[a-z0-9_:]+)", rule["expr"]):
            assert name in recorded, name


def test_prometheus_scrapes_the_pushgateway_with_honor_labels() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["pushgateway"]["honor_labels"] is True
    assert jobs["slm_harness"]["static_configs"][0]["targets"] == ["host.docker.internal:9464"]
    assert {"simulator", "vllm"} <= set(jobs)
