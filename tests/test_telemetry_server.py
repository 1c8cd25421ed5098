"""ServerMetricsScraper over captured vLLM / llama-server pages and against the real simulator."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from harness.records.rundir import SERVER_METRICS_FILE
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from harness.telemetry import ServerMetricsScraper, metrics_url, read_server_metrics, server_metrics
from harness.telemetry import server_series as ss
from harness.telemetry.server_metrics import parse_page
from tests._telemetry_fixtures import FIXTURES, serve_pages, url

VLLM_PAGE = (FIXTURES / "metrics" / "vllm.txt").read_text()
LLAMACPP_PAGE = (FIXTURES / "metrics" / "llamacpp.txt").read_text()


def scrape(tmp_path: Path, page: str, seconds: float = 0.2) -> pd.DataFrame:
    with serve_pages(lambda n: (200, page)) as server:
        scraper = ServerMetricsScraper(tmp_path, url(server), interval_s=0.05)
        assert scraper.start() is None
        time.sleep(seconds)
        assert scraper.stop() == tmp_path / SERVER_METRICS_FILE
    frame = read_server_metrics(tmp_path)
    assert frame is not None
    return frame


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://gpu-7:8000/v1", "http://gpu-7:8000/metrics"),
        ("http://gpu-7:8000/v1/", "http://gpu-7:8000/metrics"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/metrics"),
    ],
)
def test_metrics_url_is_the_server_root(base: str, expected: str) -> None:
    assert metrics_url(base) == expected


def test_vllm_page_keeps_server_families_in_long_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Row groups of at most ~2 scrapes (320 rows each), so the file is written in pieces.
    monkeypatch.setattr(server_metrics, "FLUSH_ROWS", 600)
    frame = scrape(tmp_path, VLLM_PAGE)
    assert list(frame.columns) == ["ts", "name", "labels", "le", "value"]
    scrapes = frame["ts"].nunique()
    assert scrapes >= 3
    assert pq.ParquetFile(tmp_path / SERVER_METRICS_FILE).num_row_groups == -(-scrapes // 2)
    assert frame["name"].str.startswith("vllm:").all()
    assert not frame["name"].str.endswith("_created").any()
    # Every scrape of the same page holds the same rows.
    per_scrape = frame.groupby("ts").size()
    assert per_scrape.nunique() == 1
    assert per_scrape.iloc[0] == len(parse_page(VLLM_PAGE, 0.0))
    buckets = frame[frame["name"] == "vllm:time_to_first_token_seconds_bucket"]
    assert buckets["le"].notna().all() and np.isinf(buckets["le"]).sum() == scrapes
    assert json.loads(buckets["labels"].iloc[0]) == {"engine": "0", "model_name": "tiny-llama"}
    load = ss.gauges(frame)
    assert load["running"].eq(6.0).all()
    assert load["waiting"].eq(0.0).all()
    assert load["kv_cache_usage_ratio"].eq(0.00146520146520146).all()


def test_llamacpp_page_gives_processing_and_deferred(tmp_path: Path) -> None:
    frame = scrape(tmp_path, LLAMACPP_PAGE)
    assert frame["name"].str.startswith("llamacpp:").all()
    load = ss.gauges(frame)
    assert load["running"].eq(4.0).all() and load["waiting"].eq(3.0).all()
    assert "kv_cache_usage_ratio" not in load
    assert ss.window_latency(frame, ss.HISTOGRAMS["ttft"], 0.0, 2e9)["count"] == 0


def test_window_latency_from_vllm_buckets_by_hand() -> None:
    rows = parse_page(VLLM_PAGE, 10.0)
    # A scrape before any request: every sample at zero.
    rows += [(0.0, name, labels, le, 0.0) for _, name, labels, le, _ in rows]
    frame = pd.DataFrame(rows, columns=["ts", "name", "labels", "le", "value"])
    ttft = ss.window_latency(frame, ss.HISTOGRAMS["ttft"], 0.0, 10.0)
    # 12 observations, cumulative buckets 0.005: 4, 0.01: 5, 0.02: 5, 0.04: 12. The median
    # (rank 6) lies in (0.02, 0.04] holding 7: 20 ms + 20 ms x (6 - 5) / 7.
    assert ttft["count"] == 12
    assert ttft["mean_ms"] == pytest.approx(0.19774699211120605 / 12 * 1000)
    assert ttft["p50_ms"] == pytest.approx(20 + 20 * 1 / 7)
    assert ttft["p90_ms"] == pytest.approx(20 + 20 * 5.8 / 7)
    assert ttft["p99_ms"] == pytest.approx(20 + 20 * 6.88 / 7)
    queue = ss.window_latency(frame, ss.HISTOGRAMS["queue"], 0.0, 10.0)
    # All 6 in the first bucket (0, 0.3]: rank 3 of 6 -> 150 ms, an estimate bounded by the bucket.
    assert (queue["count"], queue["p50_ms"]) == (6, pytest.approx(150.0))
    assert ss.window_latency(frame, ss.HISTOGRAMS["ttft"], 10.0, 10.0)["count"] == 0
    summary = ss.window_summary(frame, 0.0, 10.0)
    json.dumps(summary, allow_nan=False)
    assert summary["ttft_ms"] == ttft and summary["queue_ms"] == queue
    assert summary["e2e_ms"]["count"] == 6
    # Gauges over the two scrapes inside the window: 0 then 6 running.
    assert summary["running"] == {"mean": 3.0, "max": 6.0}
    assert summary["kv_cache_usage_ratio"]["max"] == 0.00146520146520146


def test_histogram_quantile_like_prometheus() -> None:
    bounds = np.array([0.1, 0.5, 1.0, np.inf])
    # Rank 5 of 10 lies in (0.1, 0.5] holding 4 (cumulative 2 -> 6): 0.1 + 0.4 x (5 - 2) / 4.
    assert ss.histogram_quantile(0.5, bounds, np.array([2.0, 6.0, 8.0, 10.0])) == pytest.approx(0.4)
    # In the +Inf bucket: the largest finite bound.
    assert ss.histogram_quantile(0.95, bounds, np.array([2.0, 6.0, 8.0, 10.0])) == 1.0
    assert ss.histogram_quantile(0.1, bounds, np.array([2.0, 6.0, 8.0, 10.0])) == pytest.approx(0.05)
    assert np.isnan(ss.histogram_quantile(0.5, bounds, np.zeros(4)))


def test_missing_metrics_page_is_a_notice(tmp_path: Path) -> None:
    with serve_pages(lambda n: (404, "not found")) as server:
        scraper = ServerMetricsScraper(tmp_path, url(server), interval_s=0.05)
        assert scraper.start() == (
            f"server metrics unavailable: {url(server)} answered HTTP 404 — run continues without them"
        )
        assert scraper.stop() is None
    with serve_pages(lambda n: (200, "# TYPE up gauge\nup 1\n")) as server:
        notice = ServerMetricsScraper(tmp_path, url(server), interval_s=0.05).start()
        assert notice == (
            f"server metrics unavailable: {url(server)} shows no vllm, llamacpp, sim metrics "
            "— run continues without them"
        )
    assert not (tmp_path / SERVER_METRICS_FILE).exists()


def test_scraper_follows_the_simulator_under_load(tmp_path: Path) -> None:
    # 6 requests at once, 2 sequences at a time, 10 tokens each: TTFT 100 ms after admission,
    # then 9 gaps of 10 ms, so a pair holds the seats 190 ms. Queue times 0, 0, .19, .19, .38, .38 s.
    cfg = SimConfig(ttft_ms=100.0, itl_ms=10.0, max_num_seqs=2)
    body = {"model": "sim-model", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
    client_ttft: list[float] = []

    def one(base_url: str) -> None:
        with httpx.Client(base_url=base_url, timeout=10.0) as client:
            t0 = time.monotonic()
            with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as resp:
                # Read to the end: leaving early would free the sequence's seat sooner.
                text_at = [time.monotonic() - t0 for line in resp.iter_lines() if _has_text(line)]
            client_ttft.append(text_at[0])

    with SimProcess(cfg) as sim:
        scraper = ServerMetricsScraper(tmp_path, metrics_url(sim.base_url), interval_s=0.05)
        assert scraper.start() is None
        started = time.time()
        threads = [threading.Thread(target=one, args=(sim.base_url,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ended = time.time()
        time.sleep(0.1)
        scraper.stop()
    frame = read_server_metrics(tmp_path)
    assert frame is not None
    load = ss.gauges(frame)
    assert load["running"].max() == 2.0
    assert load["waiting"].max() == 4.0
    assert load["kv_cache_usage_ratio"].max() > 0.0
    assert load["running"].iloc[-1] == 0.0 and load["waiting"].iloc[-1] == 0.0
    ttft = ss.window_latency(frame, ss.HISTOGRAMS["ttft"], started, ended)
    queue = ss.window_latency(frame, ss.HISTOGRAMS["queue"], started, ended)
    assert ttft["count"] == 6 and queue["count"] == 6
    assert ttft["mean_ms"] == pytest.approx((100 + 100 + 290 + 290 + 480 + 480) / 6, abs=30)
    assert queue["mean_ms"] == pytest.approx((0 + 0 + 190 + 190 + 380 + 380) / 6, abs=30)
    # Per interval the server's Δsum/Δcount covers all 6 first tokens, and the client saw each
    # first token no earlier than the server sent it.
    intervals = ss.interval_means(frame, ss.HISTOGRAMS["ttft"])
    assert intervals["count"].sum() == 6
    assert len(client_ttft) == 6
    assert float(np.mean(client_ttft)) * 1000 >= ttft["mean_ms"] - 5


def _has_text(line: str) -> bool:
    """Whether an SSE line is a chunk carrying generated text (not the role-only or usage chunk)."""
    if not line.startswith("data: {"):
        return False
    choices = json.loads(line[len("data: ") :]).get("choices") or [{}]
    return bool(choices[0].get("delta", {}).get("content"))
