"""The harness user classes run under the plain `locust` command and write a normal run directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.records.store import read_records
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import ROOT, cli, inline_workload, write_scenario


def test_plain_locust_headless_run_writes_run_directory(tmp_path: Path) -> None:
    path = cli("locustfile").stdout.strip()
    assert path.endswith("locustfile.py")
    with SimProcess(SimConfig(ttft_ms=30, itl_ms=3)) as sim:
        spec = {
            "name": "plain",
            "endpoint": {"base_url": sim.base_url, "model": "sim-model"},
            "workload": inline_workload(10),
            "load": {"profile": {"type": "concurrency", "users": 3}, "duration_s": 4},
        }
        scenario = write_scenario(tmp_path, spec)
        proc = subprocess.run(
            [sys.executable, "-m", "locust", "-f", path, "--scenario", str(scenario), "--headless",
             "--runs-dir", str(tmp_path / "runs")],
            capture_output=True, text=True, timeout=90, cwd=ROOT,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    run_dir = Path(proc.stdout.strip().splitlines()[-1].split(": ", 1)[1])
    summary = json.loads((run_dir / "summary.json").read_text())
    records = read_records(run_dir)
    assert summary["requests"]["completed"] == int(records["ok"].sum()) > 20
    assert summary["latency"]["ttft_ms"]["p50"] > 25
    # Locust's own statistics saw the same requests, as end-to-end times.
    assert "generate" in proc.stderr
