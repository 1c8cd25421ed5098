"""The live exporter serves what it observed, counted the way summary.json counts it."""

from __future__ import annotations

import dataclasses
import math
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from gevent import monkey
from prometheus_client.parser import text_string_to_metric_families

from harness import __version__
from harness.config.slo import SLO
from harness.protocol.errors import ALL_KINDS, HTTP_5XX, TIMEOUT_TOTAL
from harness.publish import LiveExporter
from harness.publish import catalogue as c
from harness.publish.reference import series_of, slice_series
from harness.records.record import PHASE_MEASURE, RequestRecord
from tests._publish_fixtures import LABELS, SLOS, SLOS_MS, make_records, summary_of

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(exporter: LiveExporter) -> Samples:
    """Every sample served on /metrics, keyed by (name, sorted labels)."""
    text = httpx.get(exporter.url, timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


SLICED = {spec.name for spec in c.LIVE_PER_SLICE}


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample of the run's labels; of the run's own slice unless ``stage``/``target`` say otherwise."""
    base = name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
    slice_labels = {"stage": "", "target": ""} if base in SLICED else {}
    return samples[(name, tuple(sorted({**LABELS, **slice_labels, **labels}.items())))]


def buckets(samples: Samples, name: str, **labels: str) -> dict[float, float]:
    """``le`` (finite, in seconds) -> cumulative count of one histogram series."""
    wanted = {**LABELS, "stage": "", "target": "", **labels}
    found = {}
    for (sample, key), count in samples.items():
        series = dict(key)
        le = series.pop("le", None)
        if sample == f"{name}_bucket" and series == wanted and le != "+Inf":
            found[float(le)] = count
    return found


@pytest.fixture()
def exporter() -> Iterator[LiveExporter]:
    exp = LiveExporter("127.0.0.1", 0, LABELS, SLOS).start()
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
    ttft_buckets = buckets(samples, "slm_ttft_seconds")
    # The ladder's bounds plus the 400 ms SLO, each bucket cumulative over the observed TTFTs.
    assert sorted(ttft_buckets) == sorted({*(c.TTFT.buckets or ()), 0.4})
    assert ttft_buckets == {le: sum(t <= le for t in ttfts) for le in ttft_buckets}
    assert 60 < ttft_buckets[0.199] < 170  # the fast half of a ~0.2 s median
    gaps_all = [g for r in ok for g in r.chunk_gaps_s]
    itl_buckets = buckets(samples, "slm_itl_seconds")
    assert sorted(itl_buckets) == list(c.ITL.buckets or ())
    assert itl_buckets == {le: sum(g <= le for g in gaps_all) for le in itl_buckets}

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
    for rec in records:
        exporter.observe(rec)
    samples = scrape(exporter)
    goodput = summary_of(records)["goodput"]
    assert 0 < goodput["meeting"] < 228  # the SLOs split the requests
    assert value(samples, "slm_goodput_requests_total") == goodput["meeting"]
    assert value(samples, "slm_slo_attainment_ratio") == pytest.approx(goodput["slo_attainment"])


def test_without_slos_every_successful_request_is_goodput() -> None:
    records = make_records(n=40, warmup=0)
    with LiveExporter("127.0.0.1", 0, LABELS) as exporter:
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
        LiveExporter("127.0.0.1", exporter.port, LABELS, SLOS).start()
    port = exporter.port
    exporter.stop()
    exporter.stop()  # idempotent
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_labels_outside_the_run_labels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown exporter labels \['run_id'\]"):
        LiveExporter("127.0.0.1", 0, {**LABELS, "run_id": "x"})


@pytest.mark.parametrize(
    "slo", [SLO(ttft_ms=187.3), SLO(tpot_ms=25.0), SLO(e2e_ms=640.0), SLO(ttft_ms=250.0)]
)
def test_an_slo_is_a_bucket_bound_that_counts_exactly_the_requests_meeting_it(slo: SLO) -> None:
    # With one SLO set, its bucket over all measured requests is the summary's SLO attainment
    # (for TPOT, requests with one output token pass without a TPOT sample, as in the summary).
    # 250 ms and 25 ms are bounds of their ladders already: each merges with its SLO into one bucket.
    records = make_records(n=400, seed=5)
    name, ms = next((n, v) for n, v in slo.model_dump().items() if v is not None)
    spec = {"ttft_ms": c.TTFT, "tpot_ms": c.TPOT, "e2e_ms": c.E2E}[name]
    with LiveExporter("127.0.0.1", 0, LABELS, slo) as exporter:
        for rec in records:
            exporter.observe(rec)
        samples = scrape(exporter)
    found = buckets(samples, spec.name)
    bound = round(ms / 1000, 9)  # the le label is the SLO written in seconds
    assert sorted(found) == sorted({*(spec.buckets or ()), bound})
    les = {dict(key)["le"] for name, key in samples if name == f"{spec.name}_bucket"}
    assert f"{bound:g}" in les  # written as the SLO is: le="0.1873" for 187.3 ms
    measured = sum(v for (n, key), v in samples.items() if n == "slm_requests_total")
    without_sample = 0.0
    if spec is c.TPOT:
        without_sample = value(samples, "slm_requests_total", outcome="ok", kind="none") - value(
            samples, "slm_tpot_seconds_count"
        )
        assert without_sample > 0
    goodput = summary_of(records, slo=slo)["goodput"]
    assert 0.2 < goodput["slo_attainment"] < 0.95  # the SLO splits the requests
    assert found[bound] + without_sample == goodput["meeting"]
    assert (found[bound] + without_sample) / measured == goodput["slo_attainment"]


def _staged(records: list[RequestRecord]) -> list[RequestRecord]:
    """The records spread over two stages and two targets (a third of them left unlabelled)."""
    stages, targets = ("ramp", "steady", None), ("a", "b")
    return [
        dataclasses.replace(rec, stage=stages[i % 3], target=targets[i % 2] if i % 3 < 2 else None)
        for i, rec in enumerate(records)
    ]


def test_stage_and_target_label_each_slice_of_the_run(exporter: LiveExporter) -> None:
    records = _staged(make_records(n=240, warmup=12))
    for rec in records:
        exporter.observe(rec)
    samples = scrape(exporter)
    measured = [r for r in records if r.phase == PHASE_MEASURE]
    slices = {(r.stage or "", r.target or "") for r in measured}
    assert slices == {("ramp", "a"), ("ramp", "b"), ("steady", "a"), ("steady", "b"), ("", "")}
    for stage, target in slices:
        part = [r for r in measured if (r.stage or "", r.target or "") == (stage, target)]
        ok = [r for r in part if r.ok]
        at = {"stage": stage, "target": target}
        assert value(samples, "slm_requests_total", outcome="ok", kind="none", **at) == len(ok)
        assert value(samples, "slm_ttft_seconds_count", **at) == len(ok) > 0
        assert value(samples, "slm_itl_seconds_sum", **at) == pytest.approx(
            sum(sum(r.chunk_gaps_s) for r in ok)
        )
        assert value(samples, "slm_output_tokens_total", **at) == sum(r.n_out or 0 for r in ok)
        goodput = summary_of(part)["goodput"]
        assert value(samples, "slm_goodput_requests_total", **at) == goodput["meeting"]
        assert value(samples, "slm_slo_attainment_ratio", **at) == pytest.approx(goodput["slo_attainment"])
    # Summed over the slices, the histograms hold the whole run.
    total = sum(v for (n, key), v in samples.items() if n == "slm_ttft_seconds_count")
    assert total == sum(r.ok for r in measured) == 228


def test_one_slice_serves_the_budgeted_series_and_further_slices_overflow() -> None:
    stages = [f"c{n}" for n in range(c.MAX_SLICES + 3)]
    records = [
        RequestRecord(
            request_id=str(i),
            scenario="chat",
            ok=True,
            ttft_s=0.1,
            e2e_s=0.3,
            n_out=3,
            chunk_gaps_s=[0.1, 0.1],
            stage=stage,
        )
        for i, stage in enumerate(stages)
    ]
    with LiveExporter("127.0.0.1", 0, LABELS) as exporter:
        for rec in records:
            exporter.observe(rec)
        samples = scrape(exporter)
    per_slice = Counter(dict(key)["stage"] for _, key in samples if "stage" in dict(key))
    # The run's own slice, MAX_SLICES named ones, then one overflow slice for the rest; each
    # serves the series docs/metrics.md budgets for a slice.
    assert sorted(per_slice) == sorted(["", *stages[: c.MAX_SLICES], c.OVERFLOW])
    assert set(per_slice.values()) == {slice_series()}
    assert slice_series() == sum(series_of(spec) for spec in c.LIVE_PER_SLICE)
    assert value(samples, "slm_ttft_seconds_count", stage=c.OVERFLOW, target=c.OVERFLOW) == 3
    assert value(samples, "slm_ttft_seconds_count", stage="c0") == 1
    assert value(samples, "slm_ttft_seconds_count") == 0


def test_stop_waits_for_the_scraper_to_collect_the_final_counts() -> None:
    exporter = LiveExporter("127.0.0.1", 0, LABELS).start()
    for _ in range(2):  # a scraper that comes every 0.4 s
        scrape(exporter)
        time.sleep(0.4)
    exporter.observe(make_records(n=1, warmup=0)[0])
    final: list[Samples] = []
    late = threading.Thread(target=lambda: (time.sleep(0.2), final.append(scrape(exporter))))
    late.start()
    exporter.stop()  # returns only after the late scrape
    assert final and value(final[0], "slm_requests_total", outcome="ok", kind="none") == 1
    late.join()
