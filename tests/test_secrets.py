"""An API key used for a run appears in no file, log line or metric; auth failures are classified."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import ROOT, inline_workload, run_scenario, summary_of, write_scenario

KEY = "sk-slmtest-7f3a9c1e5b2d4f60a8e1"


def test_api_key_never_leaves_the_process(tmp_path: Path) -> None:
    with SimProcess(SimConfig(ttft_ms=20, itl_ms=2, api_key=KEY)) as sim:
        spec = {
            "name": "secret",
            "endpoint": {"base_url": sim.base_url, "model": "sim-model", "api_key_env": "SLM_TEST_KEY"},
            "workload": inline_workload(8),
            "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 6},
            "publish": {"exporter": {"port": 0}},  # a free port: 9464 may be taken on a shared machine
        }
        scenario = write_scenario(tmp_path, spec)
        out = tmp_path / "runs"
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli.main", "run", str(scenario), "--out", str(out)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SLM_TEST_KEY": KEY},
        )
        metrics_text = ""
        deadline = time.time() + 30
        while not metrics_text and time.time() < deadline:
            logs = list(out.glob("*/harness.log")) if out.exists() else []
            found = re.search(r"live metrics on (\S+)", logs[0].read_text()) if logs else None
            if found:
                time.sleep(2)  # let some requests complete
                metrics_text = httpx.get(found.group(1)).text
            time.sleep(0.2)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-2000:]
    assert "slm_requests_total" in metrics_text
    run_dir = Path(stdout.strip().splitlines()[-1])
    s = summary_of(run_dir)
    assert s["requests"]["completed"] > 10 and s["requests"]["errored"] == 0  # the key was sent
    leaks = [p.name for p in run_dir.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaks == []
    assert KEY not in stdout and KEY not in stderr
    assert KEY not in metrics_text


def test_wrong_api_key_is_an_auth_error_that_fails_the_run(tmp_path: Path) -> None:
    with SimProcess(SimConfig(ttft_ms=10, itl_ms=1, api_key=KEY)) as sim:
        spec = {
            "name": "bad-key",
            "endpoint": {"base_url": sim.base_url, "model": "sim-model", "api_key_env": "SLM_TEST_KEY"},
            "workload": inline_workload(4),
            "load": {"profile": {"type": "concurrency", "users": 1}, "duration_s": 2},
        }
        run_dir = run_scenario(tmp_path, spec, env={"SLM_TEST_KEY": "sk-wrong"}, exit_code=1)
    s = summary_of(run_dir)
    assert s["requests"]["completed"] == 0
    assert s["health"]["failed"].startswith(f"every one of the {s['requests']['total']} measured requests")
    assert s["errors"]["by_kind"]["auth"] == s["requests"]["errored"] > 0
