"""Throughput is what the endpoint delivered, not what was offered: past saturation they differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import inline_workload, run_scenario, summary_of

# 8 sequences at once, each 100 ms to the first token and 63 gaps of 10 ms: 8 / 0.73 s.
SERVICE_CAPACITY_RPS = 8 / (0.100 + 63 * 0.010)


def test_saturated_open_loop_reports_the_service_capacity(tmp_path: Path) -> None:
    with SimProcess(SimConfig(ttft_ms=100, itl_ms=10, max_num_seqs=8, seed=5)) as sim:
        spec = {
            "name": "saturated",
            "endpoint": {"base_url": sim.base_url, "model": "sim-model"},
            "workload": inline_workload(64, ignore_eos=True),
            "load": {
                "profile": {"type": "rate", "rate_rps": 15, "arrival": "constant"},
                "duration_s": 12,
                "warmup_s": 2,
            },
        }
        s = summary_of(run_scenario(tmp_path, spec))
    throughput = s["throughput"]
    assert throughput["offered_rps"] == pytest.approx(15.0, rel=0.02)
    assert throughput["requests_per_s"] == pytest.approx(SERVICE_CAPACITY_RPS, rel=0.03)
    # The requests sent in the window waited behind the warm-up's backlog: draining them took
    # longer than the window, at a rate below capacity.
    assert throughput["drained_requests_per_s"] < SERVICE_CAPACITY_RPS * 1.01
    assert throughput["output_tokens_per_s"] == pytest.approx(64 * throughput["requests_per_s"], rel=1e-9)
    assert s["goodput"]["requests_per_s"] == pytest.approx(throughput["requests_per_s"])  # no SLO set
