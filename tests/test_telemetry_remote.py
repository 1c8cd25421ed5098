"""Remote GPU sources: a dcgm-exporter page, and a real Prometheus scraping one."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.analysis.energy import gpu_summary
from harness.config.errors import ConfigError
from harness.telemetry import GpuSample, GpuSampler
from harness.telemetry.dcgm import parse_exposition, to_samples
from harness.telemetry.prometheus_source import selector
from tests import support_prometheus as sp
from tests._telemetry_fixtures import (
    DCGM_ENERGY_STEP_MJ,
    DCGM_PAGE,
    DCGM_UUIDS,
    dcgm_energy_mj,
    dcgm_page,
    serve_pages,
    url,
)

MIB = 1024**2


def test_dcgm_page_converts_to_base_units() -> None:
    series = parse_exposition(DCGM_PAGE.read_text(), ts=42.0)
    gpu0, gpu1 = to_samples(series, "dcgm", {})
    assert gpu0 == GpuSample(
        ts=42.0,
        gpu="0",
        source="dcgm",
        uuid=DCGM_UUIDS[0],
        name="NVIDIA H100 80GB HBM3",
        util_ratio=0.87,
        mem_util_ratio=0.43,
        mem_used_bytes=72345.0 * MIB,
        mem_total_bytes=(72345.0 + 8698.0 + 516.0) * MIB,  # used + free + reserved = 81559 MiB
        power_w=512.347,
        energy_j=8123456.789,
        energy_delta_j=None,
        temperature_c=61.0,
        sm_clock_hz=1.98e9,
        mem_clock_hz=2.619e9,
        throttle_reasons=0x4,
    )
    assert (gpu1.gpu, gpu1.uuid, gpu1.util_ratio, gpu1.power_w) == ("1", DCGM_UUIDS[1], 0.0, 71.12)
    assert gpu1.mem_total_bytes == gpu0.mem_total_bytes
    assert gpu1.throttle_reasons == 0x1
    assert to_samples(series, "dcgm", {"Hostname": "another-node"}) == []
    assert len(to_samples(series, "dcgm", {"Hostname": "gpu-node-7"})) == 2


def test_dcgm_sampler_scrapes_the_exporter(tmp_path: Path) -> None:
    with serve_pages(dcgm_page) as server:
        sampler = GpuSampler(tmp_path, 0.05, gpus=[DCGM_UUIDS[1]], source="dcgm", url=url(server))
        assert sampler.start() is None
        time.sleep(0.3)
        path = sampler.stop()
        assert path is not None
        requests = server.requests
    frame = pd.read_parquet(path)
    assert frame["gpu"].unique().tolist() == ["1"]
    assert frame["source"].unique().tolist() == ["dcgm"]
    # One row per scrape; the counter rose 400 mJ between consecutive pages.
    assert len(frame) == requests
    assert frame["energy_j"].tolist() == pytest.approx(
        [(dcgm_energy_mj("1") + n * DCGM_ENERGY_STEP_MJ["1"]) / 1000 for n in range(requests)]
    )
    assert frame["energy_delta_j"].iloc[1:].tolist() == pytest.approx([0.4] * (requests - 1))


def test_dcgm_unreachable_or_empty_is_a_notice(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{sp.free_port()}/metrics"
    sampler = GpuSampler(tmp_path, 0.05, source="dcgm", url=closed)
    notice = sampler.start()
    assert notice is not None
    assert notice.startswith(f"GPU telemetry unavailable: {closed} unreachable (ConnectError")
    assert notice.endswith(" — run continues without it")
    assert sampler.stop() is None
    with serve_pages(dcgm_page) as server:
        sampler = GpuSampler(tmp_path, 0.05, source="dcgm", url=url(server), query_labels={"Hostname": "x"})
        assert sampler.start() == (
            f"GPU telemetry unavailable: no DCGM GPU series at {url(server)} with labels "
            "{'Hostname': 'x'} — run continues without it"
        )
        with pytest.raises(ConfigError, match=r"telemetry\.gpu\.gpus\[0\]: no GPU 5 here"):
            GpuSampler(tmp_path, 0.05, gpus=[5], source="dcgm", url=url(server)).start()
    assert list(tmp_path.iterdir()) == []


def test_remote_source_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        GpuSampler(tmp_path, 1.0, source="prometheus")
    assert str(error.value) == (
        "telemetry.gpu.url: source prometheus needs a url — fix: set url to the Prometheus base URL"
    )


def test_selector_escapes_label_values() -> None:
    assert selector({"pod": 'a"b', "Hostname": "n1"}).endswith(', Hostname="n1", pod="a\\"b"}')


def test_prometheus_source_keeps_each_scrape_with_its_own_timestamp(tmp_path: Path) -> None:
    with (
        serve_pages(dcgm_page) as server,
        sp.prometheus(tmp_path, [sp.scrape_config("dcgm", f"127.0.0.1:{server.server_port}")]) as prom,
    ):
        assert prom.wait_for('DCGM_FI_DEV_GPU_UTIL{gpu="0"}')
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        sampler = GpuSampler(
            run_dir,
            0.5,
            source="prometheus",
            url=prom.url,
            query_labels={"Hostname": "gpu-node-7", "job": "dcgm"},
            settle_s=4.0,
        )
        started = time.time()
        assert sampler.start() is None
        time.sleep(2.5)
        stopped = time.time()
        path = sampler.stop()
        assert path is not None
    frame = pd.read_parquet(path)
    assert sorted(frame["gpu"].unique()) == ["0", "1"]
    assert set(frame["source"]) == {"prometheus"}
    gpu0 = frame[frame["gpu"] == "0"]
    ts = gpu0["ts"].to_numpy()
    # Prometheus scrapes every second; each row is one scrape, stamped when it was scraped.
    assert len(ts) >= 3
    assert np.all(np.diff(ts) > 0)
    assert 0.8 <= float(np.median(np.diff(ts))) <= 1.3
    assert ts[0] <= started and ts[-1] >= stopped
    assert (frame.groupby("ts")["gpu"].count() == 2).all()
    # Every scrape fetched the page once more, so the counter rose one step (2.5 J) per row.
    assert gpu0["energy_delta_j"].iloc[1:].tolist() == pytest.approx([2.5] * (len(ts) - 1))
    assert gpu0["util_ratio"].eq(0.87).all() and gpu0["power_w"].eq(512.347).all()
    # Energy over [started, stopped]: the counter interpolated between the bracketing scrapes.
    energy = gpu0["energy_j"].to_numpy()
    hand = np.interp(stopped, ts, energy) - np.interp(started, ts, energy)
    assert hand == pytest.approx(2.5 * (stopped - started) / float(np.median(np.diff(ts))), rel=0.3)
    summary = gpu_summary(frame, started, stopped, output_tokens=1000)
    assert summary["gpus"][0]["energy_j"] == pytest.approx(hand)
