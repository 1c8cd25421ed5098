"""End to end through the command line: a short load run with the exporter on and Prometheus
scraping it, then the golden, gate and drift jobs pushing their results; every dashboard panel
query is evaluated through Prometheus' HTTP API.

The simulator runs as its own server so that Prometheus scrapes its vLLM-named metrics too.
Panels that only a GPU or a real vLLM can fill are listed in ``NEEDS_GPU`` / ``NEEDS_VLLM``; the
vLLM ones are proven against a real vLLM in ``tests/test_vllm_loadrun.py``; the comparison
dashboard (``NEEDS_TARGETS``) needs a run over several targets, ``tests/test_compare_prometheus.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml

from harness.dashboards.build import DASHBOARDS
from harness.publish import catalogue as c
from tests import support_prometheus as prom
from tests._dashboards_fixtures import NEEDS_GPU, NEEDS_TARGETS, NEEDS_VLLM, expand, finite_points, queries

GOLDEN_SET = prom.REPO / "golden" / "support_intents.jsonl"


@dataclass
class Run:
    prometheus: prom.Prometheus
    summary: dict[str, Any]
    run_id: str
    run_dir: Path
    started: float
    ended: float


@contextmanager
def simulator(port: int, workdir: Path) -> Iterator[str]:
    argv = [sys.executable, "-m", "harness.sim", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--ttft-ms", "60", "--itl-ms", "8", "--max-num-seqs", "16", "--seed", "1"]
    log = (workdir / "sim.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (workdir / "sim.log").read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def priced_smoke(workdir: Path) -> Path:
    """scenarios/smoke.yaml with an accelerator price, so the run's cost is computed and pushed."""
    scenario = yaml.safe_load((prom.REPO / "scenarios" / "smoke.yaml").read_text())
    scenario["cost"] = {"accelerator_usd_per_hour": 2.5}
    path = workdir / "smoke.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def harness(*args: str) -> str:
    """Run ``slm-harness ARGS``; returns its stdout (the command must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=prom.REPO,
    )
    assert done.returncode == 0, (
        f"slm-harness {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    workdir = tmp_path_factory.mktemp("loadrun")
    exporter_port, sim_port = prom.free_port(), prom.free_port()
    with (
        simulator(sim_port, workdir) as sim_url,
        prom.pushgateway(workdir) as gateway,
        prom.prometheus(
            workdir,
            [
                *prom.harness_scrapes(exporter_port, gateway),
                prom.scrape_config("simulator", f"127.0.0.1:{sim_port}"),
            ],
            rule_files=sorted(prom.RULES_DIR.glob("*.yml")),
        ) as prometheus,
    ):
        prometheus.wait_until_scraped("simulator")
        prometheus.wait_until_scraped("pushgateway")
        started = time.time()
        out = harness(
            "run", str(priced_smoke(workdir)), "--endpoint", sim_url, "--duration", "8", "--quiet",
            "--exporter-port", str(exporter_port), "--pushgateway", gateway.url,
            "--out", str(workdir / "runs"),
        )  # fmt: skip
        run_dir = Path(out.strip().splitlines()[-1])
        summary = json.loads((run_dir / "summary.json").read_text())
        # Golden results go into the load run, so the gate compares its golden accuracy too.
        harness("golden", "run", str(GOLDEN_SET), "--endpoint", sim_url, "--pushgateway", gateway.url,
                "--into", str(run_dir), "--quiet")  # fmt: skip
        harness("gate", "--baseline", str(run_dir), "--candidate", str(run_dir), "--pushgateway", gateway.url,
                "--out", str(workdir / "gate"))  # fmt: skip
        harness("drift", "--reference", str(run_dir), "--current", str(run_dir), "--pushgateway", gateway.url,
                "--out", str(workdir / "drift"))  # fmt: skip
        for stamp in (c.RUN_TIMESTAMP, c.GOLDEN_TIMESTAMP, c.GATE_TIMESTAMP, c.DRIFT_TIMESTAMP):
            assert prometheus.wait_for(stamp.name), f"{stamp.name} never reached Prometheus"
        time.sleep(2)  # one more scrape of the simulator, and the rules evaluated once more
        yield Run(prometheus, summary, run_dir.name, run_dir, started, time.time())


@pytest.mark.parametrize(
    "query",
    queries(*(d.uid for d in DASHBOARDS.values()), skip=NEEDS_GPU | NEEDS_VLLM | NEEDS_TARGETS),
    ids=lambda q: f"{q.dashboard}:{q.panel}:{q.ref}",
)
def test_panel_query_returns_data(run: Run, query: Any) -> None:
    matrix = run.prometheus.query_range(expand(query.expr), run.started, run.ended, step=1.0)
    assert finite_points(matrix) > 0, f"{query.panel}: {query.expr}"


def test_pushed_run_is_queryable_with_its_grouping_labels(run: Run) -> None:
    result = run.prometheus.query(f'slm_run_info{{job="{c.JOB_LOAD}", run_id="{run.run_id}"}}')
    assert len(result) == 1
    labels = result[0]["metric"]
    assert labels["scenario"] == run.summary["run"]["scenario"] == "smoke"
    assert labels["model"] == run.summary["run"]["model"]
    p95 = run.prometheus.query(f'slm_run_ttft_seconds{{run_id="{run.run_id}", quantile="0.95"}}')
    assert float(p95[0]["value"][1]) == pytest.approx(run.summary["latency"]["ttft_ms"]["p95"] / 1000)


def test_prometheus_holds_the_final_counts_and_histogram_p95_is_within_5_percent(run: Run) -> None:
    # The exporter waits for a last scrape before it stops: the final counts are the summary's.
    def last(expr: str) -> float:
        return float(run.prometheus.query(f"sum({expr})")[0]["value"][1])

    window = '{job="slm_harness"}[10m]'
    assert (
        last(f"last_over_time(slm_ttft_seconds_count{window})") == run.summary["latency"]["ttft_ms"]["count"]
    )
    assert last(f"last_over_time(slm_requests_total{window})") == run.summary["requests"]["total"]
    buckets = f"sum by (le) (last_over_time(slm_ttft_seconds_bucket{window}))"
    from_histogram = float(run.prometheus.query(f"histogram_quantile(0.95, {buckets})")[0]["value"][1])
    records = pd.read_parquet(run.run_dir / "records.parquet")
    ttfts = records.loc[(records["phase"] == "measure") & records["ok"], "ttft_s"].to_numpy()
    exact = float(np.percentile(ttfts, 95, method="inverted_cdf"))
    assert from_histogram == pytest.approx(exact, rel=0.05)
    assert run.summary["requests"]["completed"] > 50
