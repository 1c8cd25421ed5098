"""Real Prometheus scraping the live exporter and a real Pushgateway holding pushed job results.

Records with known timings, sent in two stages to one named target, are fed to the exporter over
a few scrapes while batch results (a load-run summary with its stage blocks, two golden runs, a
gate and a drift report) are pushed through the same registries the jobs use. Then every panel
query of the load, quality and cost dashboards is evaluated through Prometheus' HTTP API, as are
the alert rules.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from harness.dashboards import gpu_cost, load, quality
from harness.golden.metrics import golden_samples
from harness.publish import (
    LiveExporter,
    build_drift_registry,
    build_summary_registry,
    push_metrics,
    run_grouping_key,
)
from harness.publish import catalogue as c
from harness.publish.push import registry_from_samples
from harness.records.record import RequestRecord
from tests import support_prometheus as prom
from tests._dashboards_fixtures import NEEDS_GPU, expand, finite_points, queries
from tests._publish_fixtures import LABELS, MODEL, SLOS, make_records, summary_of

RUN_ID = "run-live-1"
BATCHES = 5
ENDPOINT = LABELS["endpoint"]
STAGES, TARGET = ("ramp", "steady"), "primary"


@dataclass
class Stack:
    prometheus: prom.Prometheus
    records: list[RequestRecord]
    summary: dict[str, Any]
    started: float
    ended: float


def _staged(records: list[RequestRecord]) -> list[RequestRecord]:
    half = len(records) // 2
    return [dataclasses.replace(rec, stage=STAGES[i >= half], target=TARGET) for i, rec in enumerate(records)]


def _push_batch_results(url: str, records: list[RequestRecord], summary: dict[str, Any]) -> None:
    summary["cost"] = {"cost_per_query_usd": 0.0042, "cost_per_1m_output_tokens_usd": 180.0}
    blocks = {
        (stage, TARGET): summary_of([r for r in records if r.stage == stage], run_id=RUN_ID)
        for stage in STAGES
    }
    assert push_metrics(url, c.JOB_LOAD, run_grouping_key(RUN_ID), build_summary_registry(summary, blocks))
    now = time.time()
    # Samples as `slm-harness golden run` and `slm-harness gate` push them (their own builders).
    target = {c.MODEL: MODEL, c.ENDPOINT: ENDPOINT}
    for run_id, correct, ended in (("golden-old", 45, now - 3600), ("golden-new", 35, now)):
        section = {
            "sets": {
                "qa": {"accuracy": correct / 50, "correct": correct, "scored": 50, "transport_errors": 1}
            }
        }
        golden = registry_from_samples(golden_samples(section, MODEL, ENDPOINT, ended))
        assert push_metrics(url, c.JOB_GOLDEN, run_grouping_key(run_id), golden)
    qa = {**target, "golden_set": "qa"}
    gate = [
        (c.GATE_PASSED.name, {**target, "gate": "p95_ttft"}, 0.0),
        (c.GATE_PASSED.name, {**target, "gate": "error_rate"}, 1.0),
        (c.GATE_FAILED.name, target, 1.0),
        (c.GATE_TIMESTAMP.name, target, now),
        (c.GOLDEN_ACCURACY.name, qa, 0.7),
        (c.GOLDEN_BASELINE_ACCURACY.name, qa, 0.8),
    ]
    assert push_metrics(url, c.JOB_GATE, run_grouping_key("gate-1"), registry_from_samples(gate))
    drift = build_drift_registry(
        "drift-1", MODEL, ENDPOINT, 0.4, True, {"prompt_length": 0.12, "n_out": 0.31}, now
    )
    assert push_metrics(url, c.JOB_DRIFT, run_grouping_key("drift-1"), drift)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("prometheus-live")
    records = _staged(make_records(n=240, warmup=12))
    summary = summary_of(records, run_id=RUN_ID)
    with (
        LiveExporter("127.0.0.1", 0, LABELS, SLOS) as exporter,
        prom.pushgateway(workdir) as gateway,
        prom.prometheus(
            workdir,
            [
                *prom.harness_scrapes(exporter.port, gateway),
            ],
            rule_files=sorted(prom.RULES_DIR.glob("*.yml")),
        ) as prometheus,
    ):
        prometheus.wait_until_scraped("slm_harness")
        prometheus.wait_until_scraped("pushgateway")
        started = time.time()
        exporter.set_run_info(RUN_ID)
        exporter.set_active_users(4)
        _push_batch_results(gateway.url, records, summary)
        size = len(records) // BATCHES + 1
        for i in range(BATCHES):  # several scrapes see the counters grow, so rates have data
            exporter.set_in_flight(i + 1)
            for rec in records[i * size : (i + 1) * size]:
                exporter.observe(rec)
            time.sleep(1.2)
        completed = summary["requests"]["completed"]
        assert prometheus.wait_for(f'sum(slm_requests_total{{outcome="ok"}}) == {completed}'), (
            "last batch not scraped"
        )
        assert prometheus.wait_for('slm_golden_accuracy_ratio{run_id="golden-new"}'), "pushes not scraped"
        time.sleep(2)  # rules evaluate every second: let them see the final state
        yield Stack(prometheus, records, summary, started, time.time())


@pytest.mark.parametrize(
    "query",
    queries(load.DASHBOARD.uid, quality.DASHBOARD.uid, gpu_cost.DASHBOARD.uid, skip=NEEDS_GPU),
    ids=lambda q: f"{q.dashboard}:{q.panel}:{q.ref}",
)
def test_panel_query_returns_data(stack: Stack, query: Any) -> None:
    matrix = stack.prometheus.query_range(expand(query.expr), stack.started, stack.ended, step=1.0)
    assert finite_points(matrix) > 0, f"{query.panel}: {query.expr}"


@pytest.mark.parametrize(
    "variable",
    [v for d in (load.DASHBOARD, quality.DASHBOARD) for v in d.variables],
    ids=lambda v: f"{v.name}:{v.selector}",
)
def test_template_variable_lists_the_published_values(stack: Stack, variable: Any) -> None:
    values = stack.prometheus.label_values(variable.source_label or variable.name, variable.selector)
    expected = {
        "scenario": [LABELS["scenario"]],
        "model": [MODEL],
        "endpoint": [ENDPOINT],
        "golden_set": ["qa"],
        "stage": list(STAGES),  # the run's own slice has stage="", which lists as no value
        "target": [TARGET],
    }
    assert values == expected[variable.name]


def test_pushed_run_is_queryable_with_its_grouping_labels(stack: Stack) -> None:
    result = stack.prometheus.query(f'slm_run_info{{job="{c.JOB_LOAD}", run_id="{RUN_ID}"}}')
    pushed = [r["metric"] for r in result if r["metric"].get("instance", "") == ""]
    assert len(pushed) == 1
    assert {k: pushed[0][k] for k in ("job", "run_id", "scenario", "model", "endpoint")} == {
        "job": c.JOB_LOAD,
        "run_id": RUN_ID,
        **LABELS,
    }
    p95 = stack.prometheus.query(f'slm_run_ttft_seconds{{run_id="{RUN_ID}", quantile="0.95"}}')
    assert float(p95[0]["value"][1]) == pytest.approx(stack.summary["latency"]["ttft_ms"]["p95"] / 1000)


@pytest.mark.parametrize("stage", ["", *STAGES])
def test_histogram_quantiles_are_within_5_percent_of_the_raw_samples(stack: Stack, stage: str) -> None:
    # Over the whole run and over each stage's slice. The rank histogram_quantile interpolates at
    # is numpy's "inverted_cdf" percentile: the bucket holding it is at most 5 % wide here.
    ok = [r for r in stack.records if r.ok and r.phase == "measure" and (not stage or r.stage == stage)]
    ttfts = np.array([r.ttft_s for r in ok])
    selector = f'slm_ttft_seconds_bucket{{job="slm_harness", stage=~"{stage or ".*"}"}}'
    assert 0.3 < np.percentile(ttfts, 95) < 1.5  # a p95 well inside the fine range of the ladder
    for q in (0.5, 0.95, 0.99):
        result = stack.prometheus.query(f"histogram_quantile({q}, sum by (le) ({selector}))")
        from_histogram = float(result[0]["value"][1])
        exact = float(np.percentile(ttfts, q * 100, method="inverted_cdf"))
        assert from_histogram == pytest.approx(exact, rel=0.05), (stage, q)


def test_live_counters_match_the_summary(stack: Stack) -> None:
    measured = stack.prometheus.query('sum(slm_requests_total{job="slm_harness"})')
    assert float(measured[0]["value"][1]) == stack.summary["requests"]["total"] == 240
    goodput = stack.prometheus.query('sum(slm_goodput_requests_total{job="slm_harness"})')
    assert float(goodput[0]["value"][1]) == stack.summary["goodput"]["meeting"]
    tokens = stack.prometheus.query('sum(slm_output_tokens_total{job="slm_harness"})')
    assert float(tokens[0]["value"][1]) == stack.summary["tokens"]["output_total"]


def test_quality_panels_show_the_newest_golden_run(stack: Stack) -> None:
    panel = next(q for q in queries(quality.DASHBOARD.uid) if q.panel == "Accuracy (latest golden run)")
    result = stack.prometheus.query(expand(panel.expr))
    assert [(r["metric"]["run_id"], float(r["value"][1])) for r in result] == [("golden-new", 0.7)]


def test_rules_evaluate_and_alerts_fire_on_real_series(stack: Stack) -> None:
    groups = stack.prometheus.rules()
    assert {g["name"] for g in groups} == {"slm_harness_recording", "slm_harness_alerts"}
    unhealthy = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] != "ok"]
    assert unhealthy == []
    states = {
        r["name"]: (r["state"], r["alerts"]) for g in groups for r in g["rules"] if r["type"] == "alerting"
    }
    # p95 TTFT ~0.75 s against a 0.4 s SLO in both stages: pending for its 1-minute "for".
    assert states["SLMTTFTP95OverSLO"][0] == "pending"
    alerts = [a["labels"] for a in states["SLMTTFTP95OverSLO"][1]]
    assert sorted((a["scenario"], a["stage"], a["target"]) for a in alerts) == [
        (LABELS["scenario"], stage, TARGET) for stage in STAGES
    ]
    # The gate's candidate (0.70) is more than 5 points below its 0.80 baseline.
    assert states["SLMGoldenAccuracyDrop"][0] == "firing"
    assert [a["labels"]["run_id"] for a in states["SLMGoldenAccuracyDrop"][1]] == ["gate-1"]
    assert states["SLMDriftDetected"][0] == "firing"
    assert states["SLMGPUMemoryNearlyFull"][0] == "inactive"
