"""A load test through the launch path against a real vLLM (CPU build, tiny model made locally).

The harness starts vLLM from the scenario's ``server:`` section, runs the load, scrapes vLLM's
``/metrics`` beside it and stops vLLM; a real Prometheus scrapes vLLM too, and every panel query
of the vLLM dashboard must return data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

from harness.dashboards import vllm as vllm_board
from harness.records.store import read_records
from tests import support_prometheus as prom
from tests._dashboards_fixtures import expand, finite_points, queries
from tests.support.vllm_env import VLLM_ENV, ensure_tiny_model, ensure_vllm_venv

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]


def _vllm_processes(model: Path, port: int) -> list[psutil.Process]:
    """The vLLM serving ``model`` on ``port`` (the session's shared vLLM serves it on another)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmdline = p.info["cmdline"] or []
        if str(model) in cmdline and "--port" in cmdline and str(port) in cmdline:
            found.append(p)
    return found


def _scenario(python: Path, model: Path, port: int, duration_s: float) -> dict:
    return {
        "name": "vllm-launch",
        "server": {
            "kind": "vllm",
            "model": str(model),
            "command": [str(python), "-m", "vllm.entrypoints.openai.api_server"],
            "args": ["--dtype", "float32", "--max-model-len", "512", "--enforce-eager"],
            "env": dict(VLLM_ENV),
            "port": port,
            "startup_timeout_s": 240,
        },
        "workload": {"source": {"type": "inline", "prompts": ["Tell me about the sea."]}, "max_tokens": 48},
        "load": {"profile": {"type": "concurrency", "users": 4}, "duration_s": duration_s, "warmup_s": 1},
        "telemetry": {"server_metrics": {"interval_s": 0.5}},
    }


def test_launch_path_load_run_against_real_vllm(tmp_path: Path) -> None:
    python, model = ensure_vllm_venv(), ensure_tiny_model()
    port, exporter_port = prom.free_port(), prom.free_port()
    scenario = _scenario(python, model, port, 10)
    path = tmp_path / "vllm.yaml"
    path.write_text(yaml.safe_dump(scenario))
    targets = [
        prom.scrape_config("vllm", f"127.0.0.1:{port}"),
        prom.scrape_config("slm_harness", f"127.0.0.1:{exporter_port}"),
    ]
    with prom.prometheus(tmp_path, targets) as prometheus:
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli.main", "run", str(path), "--out", str(tmp_path / "runs"),
             "--quiet", "--exporter-port", str(exporter_port)],
            capture_output=True, text=True, timeout=600, cwd=prom.REPO,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        ended = time.time()
        run_dir = Path(done.stdout.strip().splitlines()[-1])
        summary = json.loads((run_dir / "summary.json").read_text())
        # The load ran against vLLM, with exact token counts from usage.
        assert summary["requests"]["completed"] > 20 and summary["requests"]["errored"] == 0
        records = read_records(run_dir)
        assert (records.loc[records["ok"], "n_out"] == 48).all()
        assert summary["tokens"]["source"] == "usage"
        # vLLM's own metrics were scraped beside the load.
        server = pd.read_parquet(run_dir / "server_metrics.parquet")
        names = set(server["name"])
        for name in ("vllm:num_requests_running", "vllm:kv_cache_usage_perc", "vllm:generation_tokens_total"):
            assert name in names
        assert summary["server"]["available"] is True
        assert summary["server"]["ttft_ms"]["count"] > 0
        assert (run_dir / "vllm-server.log").exists()
        # vLLM was stopped with the run.
        assert _vllm_processes(model, port) == []
        # Every panel of the vLLM dashboard returns data from a real vLLM.
        failed = []
        for query in queries(vllm_board.DASHBOARD.uid):
            # A window wide enough for two scrapes of the harness even when vLLM's busy-polling
            # engine and a loaded machine make some 1 s scrapes of its exporter time out.
            matrix = prometheus.query_range(expand(query.expr, rate_window="30s"), started, ended, step=1.0)
            if finite_points(matrix) == 0:
                failed.append(f"{query.panel}: {query.expr}")
        assert failed == []


def test_killing_the_harness_mid_run_leaves_no_vllm_behind(tmp_path: Path) -> None:
    python, model = ensure_vllm_venv(), ensure_tiny_model()
    path = tmp_path / "vllm.yaml"
    port = prom.free_port()
    path.write_text(yaml.safe_dump(_scenario(python, model, port, 300)))
    out = tmp_path / "runs"
    harness = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "run", str(path), "--out", str(out), "--quiet"],
        cwd=prom.REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.time() + 300
        while time.time() < deadline:  # wait until the load is running against vLLM
            runs = list(out.glob("*/records.arrows")) if out.exists() else []
            if runs and len(read_records(runs[0].parent)) >= 20:
                break
            assert harness.poll() is None, "the harness ended early"
            time.sleep(0.5)
        servers = _vllm_processes(model, port)
        assert servers, "vLLM is not running"
        harness.kill()
        harness.wait()
        _gone, alive = psutil.wait_procs(servers, timeout=60)
        assert alive == []
        assert _vllm_processes(model, port) == []
    finally:
        if harness.poll() is None:
            harness.kill()
