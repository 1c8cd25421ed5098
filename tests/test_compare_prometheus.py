"""A multi-target run through real Prometheus and Pushgateway: per-target gauges, agreement with a
`target` label, and every panel of the comparison dashboard returning data."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from harness.dashboards import compare
from tests import support_prometheus as prom
from tests._dashboards_fixtures import expand, finite_points, queries
from tests._load_helpers import ROOT

GOLDEN = ROOT / "golden" / "ticket_extraction.jsonl"  # JSON answers: many tokens each


def test_compare_dashboard_panels_return_data(tmp_path: Path) -> None:
    exporter_port = prom.free_port()
    with (
        prom.pushgateway(tmp_path) as gateway,
        prom.prometheus(
            tmp_path,
            [
                *prom.harness_scrapes(exporter_port, gateway),
            ],
        ) as prometheus,
    ):
        prometheus.wait_until_scraped("pushgateway")
        scenario = {
            "name": "ab-dash",
            "targets": [
                {"name": "fast", "simulator": {"ttft_ms": 30, "itl_ms": 3, "golden_accuracy": 0.9}},
                {"name": "slow", "simulator": {"ttft_ms": 90, "itl_ms": 6, "golden_accuracy": 0.5}},
            ],
            "compare": {"golden": [str(GOLDEN)]},
            "workload": {"source": {"type": "jsonl", "path": str(GOLDEN)}, "max_tokens": 200},
            "load": {"profile": {"type": "rate", "rate_rps": 15}, "duration_s": 8},
        }
        path = tmp_path / "ab.yaml"
        path.write_text(yaml.safe_dump(scenario))
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli.main", "run", str(path), "--quiet",
             "--out", str(tmp_path / "runs"), "--exporter-port", str(exporter_port),
             "--pushgateway", gateway.url],
            capture_output=True, text=True, timeout=120, cwd=prom.REPO,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        summary = json.loads((Path(done.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
        (agreement,) = summary["compare"]["agreement"]
        pushed = prometheus.wait_for('slm_answer_agreement_ratio{target="slow", measure="exact"}')
        assert float(pushed[0]["value"][1]) == pytest.approx(agreement["exact"])
        assert pushed[0]["metric"]["reference"] == "fast"
        slow = next(block for block in summary["targets"] if block["name"] == "slow")
        ttft = prometheus.query('slm_run_ttft_seconds{target="slow", stage="", quantile="0.5"}')
        assert float(ttft[0]["value"][1]) == pytest.approx(slow["latency"]["ttft_ms"]["p50"] / 1000)
        time.sleep(2)
        ended = time.time()
        failed = []
        for query in queries(compare.DASHBOARD.uid):
            matrix = prometheus.query_range(expand(query.expr), started, ended, step=1.0)
            if finite_points(matrix) == 0:
                failed.append(f"{query.panel}: {query.expr}")
        assert failed == []
