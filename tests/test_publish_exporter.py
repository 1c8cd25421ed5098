"""The live exporter serves what it observed, counted the way summary.json counts it."""

from __future__ import annotations

import math
import socket
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from gevent import monkey
from prometheus_client.parser import text_string_to_metric_families

from harness import __version__
from harness.protocol.errors import ALL_KINDS, HTTP_5XX, TIMEOUT_TOTAL
from harness.publish import LiveExporter
from harness.publish import catalogue as c
from harness.records.record import PHASE_MEASURE
from tests._publish_fixtures import LABELS, SLOS_MS, make_records, summary_of

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(exporter: LiveExporter) -> Samples:
    """Every sample served on /metrics, keyed by (name, sorted labels)."""
    text = httpx.get(exporter.url, timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted({**LABELS, **labels}.items())))]


@pytest.fixture()
def exporter() -> Iterator[LiveExporter]:
    exp = LiveExporter("127.0.0.1", 0, LABELS).start()
    yield exp
    exp.stop()


def test_serves_under_gevent_monkey_patching(exporter: LiveExporter) -> None:
    # The load process runs gevent-patched; the exporter's server thread must still answer.
    assert monkey.is_module_patched("threading") and monkey.is_module_patched("socket")
    assert exporter.port > 0
    response = httpx.get(exporter.url, timeout=5)
    assert response.status_code == 200
    assert "slm_ttft_seconds_bucket" in response.text


def test_histograms_and_counters_match_the_observed_records(exporter: LiveExporter) -> None:
    records = make_records()
    exporter.set_slos(**SLOS_MS)
    for rec in records:
        exporter.observe(rec)
    samples = scrape(exporter)

    measured = [r for r in records if r.phase == PHASE_MEASURE]
    ok = [r for r in measured if r.ok]
    assert len(measured) == 240 and len(ok) == 228  # warm-up left out; 12 errors
    assert value(samples, "slm_requests_total", outcome="ok", kind="none") == len(ok)
    errors = Counter(r.error_kind for r in measured if not r.ok)
    assert errors == {TIMEOUT_TOTAL: 6, HTTP_5XX: 6}
    for kind in ALL_KINDS:  # every kind is served, 0 when it never happened
        assert value(samples, "slm_requests_total", outcome="error", kind=kind) == errors.get(kind, 0)

    ttfts = [r.ttft_s for r in ok if r.ttft_s is not None]
    assert value(samples, "slm_ttft_seconds_count") == len(ttfts) == 228
    assert value(samples, "slm_ttft_seconds_sum") == pytest.approx(sum(ttfts))
    assert c.TTFT.buckets is not None
    for bound in (0.1, 0.2, 0.5, 1.0):
        below = sum(t <= bound for t in ttfts)
        assert value(samples, "slm_ttft_seconds_bucket", le=str(bound)) == below
    # Histogram buckets are cumulative: the 0.2 s bucket holds the fast half of the TTFTs.
    assert 60 < value(samples, "slm_ttft_seconds_bucket", le="0.2") < 170

    gaps = [g for r in ok for g in r.chunk_gaps_s]
    assert value(samples, "slm_itl_seconds_count") == len(gaps)
    assert value(samples, "slm_itl_seconds_sum") == pytest.approx(sum(gaps))
    multi = [r for r in ok if r.n_out is not None and r.n_out >= 2]
    assert value(samples, "slm_tpot_seconds_count") == len(multi) < len(ok)
    assert value(samples, "slm_e2e_latency_seconds_count") == len(ok)
    assert value(samples, "slm_output_tokens_total") == sum(r.n_out or 0 for r in ok)
    assert value(samples, "slm_input_tokens_total") == sum(r.n_in or 0 for r in ok)
    for slo, ms in (("ttft", SLOS_MS["ttft_ms"]), ("e2e", SLOS_MS["e2e_ms"])):
        assert value(samples, "slm_slo_threshold_seconds", slo=slo) == pytest.approx(ms / 1000)


def test_goodput_and_slo_attainment_agree_with_the_summary(exporter: LiveExporter) -> None:
    records = make_records(seed=11)
    exporter.set_slos(**SLOS_MS)
    for rec in records:
        exporter.observe(rec)
    samples = scrape(exporter)
    goodput = summary_of(records)["goodput"]
    assert 0 < goodput["meeting"] < 228  # the SLOs split the requests
    assert value(samples, "slm_goodput_requests_total") == goodput["meeting"]
    assert value(samples, "slm_slo_attainment_ratio") == pytest.approx(goodput["slo_attainment"])


def test_without_slos_every_successful_request_is_goodput(exporter: LiveExporter) -> None:
    records = make_records(n=40, warmup=0)
    for rec in records:
        exporter.observe(rec)
    samples = scrape(exporter)
    assert value(samples, "slm_goodput_requests_total") == 38
    assert value(samples, "slm_slo_attainment_ratio") == pytest.approx(38 / 40)
    assert not any(name == "slm_slo_threshold_seconds" for name, _ in samples)


def test_gauges_and_run_info(exporter: LiveExporter) -> None:
    assert math.isnan(value(scrape(exporter), "slm_slo_attainment_ratio"))  # nothing measured yet
    exporter.set_in_flight(7)
    exporter.set_active_users(12)
    exporter.set_run_info("run-a")
    exporter.set_run_info("run-b")  # one run per exporter: the newest id replaces the old one
    samples = scrape(exporter)
    assert value(samples, "slm_in_flight_requests") == 7
    assert value(samples, "slm_active_users") == 12
    infos = {labels: v for (name, labels), v in samples.items() if name == "slm_run_info"}
    assert infos == {tuple(sorted({**LABELS, "run_id": "run-b", "version": __version__}.items())): 1.0}
    # run_id is nowhere else
    assert all("run_id" not in dict(labels) for name, labels in samples if name != "slm_run_info")


def test_a_taken_port_is_named_and_a_stopped_exporter_frees_its_port(exporter: LiveExporter) -> None:
    with pytest.raises(OSError, match=f"cannot serve /metrics on 127.0.0.1:{exporter.port}"):
        LiveExporter("127.0.0.1", exporter.port, LABELS).start()
    port = exporter.port
    exporter.stop()
    exporter.stop()  # idempotent
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_labels_outside_the_run_labels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown exporter labels \['run_id'\]"):
        LiveExporter("127.0.0.1", 0, {**LABELS, "run_id": "x"})
