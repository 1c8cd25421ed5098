"""Pushgateway pushes: the registries built from job results, and what happens when the gateway is down."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from harness import __version__
from harness.publish import build_drift_registry, build_summary_registry, push_metrics, run_grouping_key
from harness.publish import catalogue as c
from tests import support_prometheus as prom
from tests._publish_fixtures import LABELS, make_records, summary_of

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples_of(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def registry_samples(registry: CollectorRegistry) -> Samples:
    return samples_of(generate_latest(registry).decode())


def get(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[prom.Pushgateway]:
    with prom.pushgateway(tmp_path_factory.mktemp("pushgateway")) as gw:
        yield gw


WHOLE_RUN = {**LABELS, "stage": "", "target": ""}  # the slice labels of the whole run's gauges


def test_summary_registry_mirrors_summary_json() -> None:
    summary = summary_of(make_records(), run_id="run-42")
    samples = registry_samples(build_summary_registry(summary))
    latency = summary["latency"]
    for name, key in (("slm_run_ttft_seconds", "ttft_ms"), ("slm_run_e2e_latency_seconds", "e2e_ms")):
        for quantile, stat in (("0.5", "p50"), ("0.9", "p90"), ("0.95", "p95"), ("0.99", "p99")):
            assert get(samples, name, **WHOLE_RUN, quantile=quantile) == pytest.approx(
                latency[key][stat] / 1000
            )
    assert get(samples, "slm_run_tpot_seconds", **WHOLE_RUN, quantile="0.95") == pytest.approx(
        latency["tpot_ms"]["p95"] / 1000
    )
    assert get(samples, "slm_run_requests_per_second", **WHOLE_RUN) == pytest.approx(
        summary["throughput"]["requests_per_s"]
    )
    assert get(samples, "slm_run_output_tokens_per_second", **WHOLE_RUN) == pytest.approx(
        summary["throughput"]["output_tokens_per_s"]
    )
    assert get(samples, "slm_run_slo_attainment_ratio", **WHOLE_RUN) == pytest.approx(
        summary["goodput"]["slo_attainment"]
    )
    assert get(samples, "slm_run_error_ratio", **WHOLE_RUN) == pytest.approx(12 / 240)
    assert get(samples, "slm_run_requests", **WHOLE_RUN, outcome="ok", kind="none") == 228
    assert get(samples, "slm_run_requests", **WHOLE_RUN, outcome="error", kind="timeout_total") == 6
    assert get(samples, "slm_run_requests", **WHOLE_RUN, outcome="error", kind="reset") == 0
    assert (
        get(samples, "slm_run_concurrency_requests", **WHOLE_RUN, stat="peak")
        == summary["concurrency"]["peak"]
    )
    assert get(samples, "slm_run_timestamp_seconds", **LABELS) == summary["run"]["ended_at"]
    assert get(samples, "slm_run_info", run_id="run-42", version=__version__, **LABELS) == 1
    # No cost or energy in this summary: those gauges are left out, never pushed as 0.
    assert not any(name.startswith(("slm_cost", "slm_energy")) for name, _ in samples)


def test_summary_registry_leaves_out_statistics_without_samples() -> None:
    summary = summary_of(make_records())
    summary["latency"]["tpot_ms"] = dict.fromkeys(summary["latency"]["tpot_ms"])  # no sample at all
    summary["cost"] = {"cost_per_query_usd": 0.0021, "cost_per_1m_output_tokens_usd": None}
    summary["gpu"] = {"total": {"j_per_output_token": 0.35}}
    samples = registry_samples(build_summary_registry(summary))
    assert not any(name == "slm_run_tpot_seconds" for name, _ in samples)
    assert get(samples, "slm_cost_per_query_usd", **LABELS) == pytest.approx(0.0021)
    assert get(samples, "slm_energy_per_output_token_joules", **LABELS) == pytest.approx(0.35)
    assert not any(name == "slm_cost_per_1m_output_tokens_usd" for name, _ in samples)


def test_stage_and_target_blocks_are_pushed_beside_the_whole_run(pushgateway: prom.Pushgateway) -> None:
    records = make_records(n=240, warmup=0)
    records = [
        dataclasses.replace(r, stage="ramp" if i < 100 else "steady", target="a")
        for i, r in enumerate(records)
    ]
    blocks = {
        (stage, "a"): summary_of([r for r in records if r.stage == stage], run_id="run-s")
        for stage in ("ramp", "steady")
    }
    summary = summary_of(records, run_id="run-s")
    registry = build_summary_registry(summary, blocks)
    assert push_metrics(pushgateway.url, "slices", run_grouping_key("run-s"), registry)
    pushed = {
        (dict(labels)["stage"], dict(labels)["target"]): v
        for (name, labels), v in samples_of(pushgateway.metrics_text()).items()
        if name == "slm_run_ttft_seconds"
        and dict(labels).get("quantile") == "0.95"
        and dict(labels).get("run_id") == "run-s"
    }
    assert pushed == pytest.approx(
        {
            ("", ""): summary["latency"]["ttft_ms"]["p95"] / 1000,
            ("ramp", "a"): blocks["ramp", "a"]["latency"]["ttft_ms"]["p95"] / 1000,
            ("steady", "a"): blocks["steady", "a"]["latency"]["ttft_ms"]["p95"] / 1000,
        }
    )
    samples = registry_samples(registry)
    for (stage, target), block in blocks.items():
        at = {**LABELS, "stage": stage, "target": target}
        assert (
            get(samples, "slm_run_requests", **at, outcome="ok", kind="none")
            == block["requests"]["completed"]
        )
        assert get(samples, "slm_run_slo_attainment_ratio", **at) == pytest.approx(
            block["goodput"]["slo_attainment"]
        )
    # Run-level gauges stay one per run.
    assert [k for k in samples if k[0] == "slm_run_timestamp_seconds"] == [
        ("slm_run_timestamp_seconds", frozenset(LABELS.items()))
    ]


def test_drift_registry() -> None:
    target = {"model": "m", "endpoint": "ep"}
    drift = registry_samples(
        build_drift_registry("d-1", "m", "ep", 0.5, True, {"prompt_length": 0.31}, 125.0)
    )
    assert get(drift, "slm_drift_share_ratio", **target) == 0.5
    assert get(drift, "slm_drift_detected", **target) == 1
    assert get(drift, "slm_drift_feature_score", **target, feature="prompt_length") == 0.31
    assert get(drift, "slm_drift_timestamp_seconds", **target) == 125.0
    assert get(drift, "slm_run_info", run_id="d-1", scenario="", version=__version__, **target) == 1
    quiet = registry_samples(build_drift_registry("d-2", "m", "ep", 0.0, False, {}, 126.0))
    assert get(quiet, "slm_drift_detected", **target) == 0
    assert not any(name == "slm_drift_feature_score" for name, _ in quiet)


def test_pushgateway_down_is_one_warning_and_false(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{prom.free_port()}"  # nothing listens there
    registry = build_summary_registry(summary_of(make_records(n=20, warmup=0)))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="harness.publish"):
        pushed = push_metrics(url, c.JOB_LOAD, run_grouping_key("run-x"), registry)
    assert pushed is False
    assert time.monotonic() - started < 5
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "\n" not in message
    assert url in message and "slm_harness" in message and "refused" in message.lower()


def test_pushed_runs_stay_apart_in_the_pushgateway(pushgateway: prom.Pushgateway) -> None:
    for run_id, n in (("run-a", 20), ("run-b", 40)):
        summary = summary_of(make_records(n=n, warmup=0), run_id=run_id)
        assert push_metrics(
            pushgateway.url, c.JOB_LOAD, run_grouping_key(run_id), build_summary_registry(summary)
        )
    samples = samples_of(pushgateway.metrics_text())
    requests = {
        dict(labels)["run_id"]: v
        for (name, labels), v in samples.items()
        if name == "slm_run_requests"
        and dict(labels).get("outcome") == "ok"
        and ("job", c.JOB_LOAD) in labels
    }
    assert requests == {"run-a": 19, "run-b": 38}
    grouped = [
        dict(labels) for (name, labels) in samples if name == "slm_run_info" and ("job", c.JOB_LOAD) in labels
    ]
    assert {(g["job"], g["run_id"]) for g in grouped} == {("slm_harness", "run-a"), ("slm_harness", "run-b")}


def test_support_module_stops_what_it_starts(tmp_path: Path) -> None:
    with prom.pushgateway(tmp_path) as gw:
        assert "pushgateway_build_info" in gw.metrics_text()
    with pytest.raises(httpx.ConnectError):
        gw.metrics_text()
