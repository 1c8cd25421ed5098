"""The GPU, energy and cost dashboard against real Prometheus, with GPU figures from a DCGM page.

No GPU can run here, so a dcgm-exporter page (captured-style, energy counters advancing) stands
in for the GPU; everything after it is real: ``slm-harness run`` with ``telemetry.gpu.source:
dcgm`` samples it, the live exporter publishes ``slm_gpu_*``, the run's summary (energy per token,
cost) is pushed, and every panel of the dashboard must return data. On a machine with a GPU the
NVML source feeds the same path (docs/gpu-validation.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from harness.dashboards import gpu_cost
from tests import support_prometheus as prom
from tests._dashboards_fixtures import expand, finite_points, queries
from tests._telemetry_fixtures import dcgm_page, serve_pages, url


def test_gpu_dashboard_panels_return_data(tmp_path: Path) -> None:
    exporter_port = prom.free_port()
    with (
        serve_pages(dcgm_page) as dcgm,
        prom.pushgateway(tmp_path) as gateway,
        prom.prometheus(
            tmp_path,
            [
                *prom.harness_scrapes(exporter_port, gateway),
            ],
        ) as prometheus,
    ):
        prometheus.wait_until_scraped("pushgateway")
        scenario = yaml.safe_load((prom.REPO / "scenarios" / "smoke.yaml").read_text())
        scenario["telemetry"] = {"gpu": {"source": "dcgm", "url": url(dcgm), "interval_s": 0.5}}
        scenario["cost"] = {"accelerator_usd_per_hour": 2.5, "usd_per_kwh": 0.2}
        scenario["load"]["duration_s"] = 8
        path = tmp_path / "gpu.yaml"
        path.write_text(yaml.safe_dump(scenario))
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli.main", "run", str(path), "--quiet",
             "--out", str(tmp_path / "runs"), "--exporter-port", str(exporter_port),
             "--pushgateway", gateway.url],
            capture_output=True, text=True, timeout=120, cwd=prom.REPO,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        run_dir = Path(done.stdout.strip().splitlines()[-1])
        summary = json.loads((run_dir / "summary.json").read_text())
        gpu = summary["gpu"]
        assert gpu["available"] is True and gpu["source"] == "dcgm" and len(gpu["gpus"]) == 2
        assert gpu["total"]["energy_j"] > 0
        tokens = summary["tokens"]["output_total"]
        assert gpu["total"]["j_per_output_token"] == pytest.approx(gpu["total"]["energy_j"] / tokens)
        assert summary["cost"]["cost_per_query_usd"] > 0
        assert (run_dir / "gpu.parquet").exists()
        assert prometheus.wait_for("slm_energy_per_output_token_joules"), "the summary was not pushed"
        time.sleep(2)
        ended = time.time()
        failed = []
        for query in queries(gpu_cost.DASHBOARD.uid):
            matrix = prometheus.query_range(expand(query.expr), started, ended, step=1.0)
            if finite_points(matrix) == 0:
                failed.append(f"{query.panel}: {query.expr}")
        assert failed == []
