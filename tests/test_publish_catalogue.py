"""The metric catalogue follows the naming conventions and keeps every label set bounded."""

from __future__ import annotations

import itertools
import math

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from harness.protocol.errors import ALL_KINDS
from harness.publish import catalogue as c

# The most series one metric may have for one scenario/model/endpoint (and one GPU, golden set,
# gate or feature): closed label sets multiplied together.
MAX_SERIES_PER_TARGET = 32


def test_names_are_unique_prefixed_and_end_in_their_unit() -> None:
    names = [spec.name for spec in c.CATALOGUE]
    assert len(names) == len(set(names)) == len(c.BY_NAME)
    for spec in c.CATALOGUE:
        assert spec.name.startswith("slm_"), spec.name
        assert spec.name.endswith("_total") == (spec.kind == "counter"), spec.name
        assert spec.unit == "" or spec.unit in c.UNITS, spec.name
        base = spec.name.removesuffix("_total")
        if spec.unit:
            assert base.endswith(f"_{spec.unit}"), spec.name
        else:
            assert not any(base.endswith(f"_{unit}") for unit in c.UNITS), f"{spec.name} hides a unit"
        assert spec.help.endswith(".") and len(spec.help.split()) >= 3, spec.name


def test_the_issue_names_are_in_the_catalogue() -> None:
    wanted = {
        "slm_ttft_seconds", "slm_tpot_seconds", "slm_itl_seconds", "slm_e2e_latency_seconds",
        "slm_requests_total", "slm_output_tokens_total", "slm_input_tokens_total", "slm_in_flight_requests",
        "slm_active_users", "slm_goodput_requests_total", "slm_slo_attainment_ratio", "slm_run_info",
        "slm_gpu_utilization_ratio", "slm_gpu_memory_used_bytes", "slm_gpu_memory_total_bytes",
        "slm_gpu_power_watts", "slm_gpu_energy_joules_total", "slm_gpu_temperature_celsius",
        "slm_gpu_sm_clock_hertz", "slm_gpu_mem_clock_hertz", "slm_energy_per_output_token_joules",
        "slm_cost_per_query_usd", "slm_cost_per_1m_output_tokens_usd", "slm_golden_accuracy_ratio",
        "slm_golden_items_total", "slm_gate_passed", "slm_gate_failed_total", "slm_drift_share_ratio",
        "slm_drift_feature_score", "slm_drift_detected",
    }  # fmt: skip
    assert wanted <= set(c.BY_NAME)
    assert c.BY_NAME["slm_requests_total"].labels[-2:] == ("outcome", "kind")
    assert "golden_set" in c.BY_NAME["slm_golden_accuracy_ratio"].labels
    assert "feature" in c.BY_NAME["slm_drift_feature_score"].labels


def test_labels_come_from_the_bounded_vocabulary() -> None:
    for spec in c.CATALOGUE:
        assert len(spec.labels) == len(set(spec.labels)), spec.name
        assert set(spec.labels) <= set(c.LABEL_VALUES), spec.name
        closed = [c.LABEL_VALUES[label] for label in spec.labels if c.LABEL_VALUES[label] is not None]
        series = math.prod(len(values) for values in closed if values is not None)
        assert series <= MAX_SERIES_PER_TARGET, f"{spec.name}: {series} series per target"
    assert c.LABEL_VALUES["kind"] == (c.NO_ERROR, *ALL_KINDS)


def test_run_id_is_a_label_of_run_info_only() -> None:
    carrying = [spec.name for spec in c.CATALOGUE if "run_id" in spec.labels]
    assert carrying == ["slm_run_info"]
    for request_scoped in ("request_id", "prompt", "prompt_id", "url"):
        assert request_scoped not in c.LABEL_VALUES


def test_latency_histograms_span_milliseconds_to_minutes() -> None:
    histograms = [spec for spec in c.CATALOGUE if spec.kind == "histogram"]
    assert {spec.name for spec in histograms} == {c.TTFT.name, c.TPOT.name, c.ITL.name, c.E2E.name}
    for spec in histograms:
        assert spec.unit == "seconds" and spec.buckets is not None
        assert list(spec.buckets) == sorted(set(spec.buckets)), spec.name
        assert spec.buckets[0] <= 0.001 and spec.buckets[-1] >= 60, spec.name
        # Neighbouring bounds at most 3x apart bound how far a histogram quantile can be off.
        assert max(b / a for a, b in zip(spec.buckets, spec.buckets[1:], strict=False)) <= 3.0, spec.name
    assert c.TTFT.buckets is not None and c.TTFT.buckets[-1] >= 300


# Where small models serve (TTFT 50-500 ms, TPOT 5-50 ms, ITL 1-50 ms; E2E to ~500 tokens at 30 ms).
TYPICAL = {c.TTFT: (0.05, 0.5), c.TPOT: (0.005, 0.05), c.ITL: (0.001, 0.05), c.E2E: (0.1, 15.0)}


@pytest.mark.parametrize("spec", list(TYPICAL), ids=lambda s: s.name)
def test_fine_ladders_keep_neighbouring_bounds_within_5_percent_over_typical_latencies(
    spec: c.MetricSpec,
) -> None:
    # A histogram_quantile lands in the bucket that holds the raw percentile (same rank), so its
    # error is at most that bucket's width: 5 % where bounds are at most 5 % apart.
    steps = [*c.FINE_MANTISSAS, 1000]
    assert max(b / a for a, b in itertools.pairwise(steps)) <= c.FINE_MAX_RATIO
    assert spec.ladder is not None and spec.buckets is not None
    low, high = TYPICAL[spec]
    assert spec.ladder.fine_from <= low / 2 and spec.ladder.fine_to >= high * 2
    fine = [b for b in spec.buckets if spec.ladder.fine_from <= b <= spec.ladder.fine_to]
    assert fine[0] == spec.ladder.fine_from and fine[-1] / spec.ladder.fine_to > 1 / c.FINE_MAX_RATIO
    assert max(b / a for a, b in itertools.pairwise(fine)) <= c.FINE_MAX_RATIO
    assert all(float(f"{b:.3g}") == b for b in spec.buckets)  # three digits: le="0.0251", not 0.02510000…


def test_every_spec_registers_and_exposes_its_catalogue_name() -> None:
    registry = CollectorRegistry()
    for spec in c.CATALOGUE:
        factory = {"counter": c.counter, "gauge": c.gauge, "histogram": c.histogram}[spec.kind]
        metric = factory(spec, registry)
        metric.labels(*(f"v{i}" for i in range(len(spec.labels))))
    exposed = {
        sample.name
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }
    for spec in c.CATALOGUE:
        expected = f"{spec.name}_count" if spec.kind == "histogram" else spec.name
        assert expected in exposed, spec.name


def test_a_factory_refuses_a_spec_of_another_type() -> None:
    with pytest.raises(TypeError, match="slm_ttft_seconds is a histogram, not a gauge"):
        c.gauge(c.TTFT, CollectorRegistry())
