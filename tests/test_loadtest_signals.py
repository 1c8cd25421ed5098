"""Interrupting a run: SIGINT/SIGTERM keep every finished request; SIGKILL keeps all but the last second."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness.records.store import JOURNAL_NAME, read_records
from tests._load_helpers import ROOT, cli, inline_workload, write_scenario

SPEC = {
    "name": "interrupt",
    "simulator": {"ttft_ms": 30, "itl_ms": 5, "seed": 5},
    "workload": inline_workload(20),
    "load": {"profile": {"type": "concurrency", "users": 4}, "duration_s": 120},
}


def _start(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    scenario = write_scenario(tmp_path, SPEC)
    out = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "run", str(scenario), "--out", str(out), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        runs = list(out.glob("*/" + JOURNAL_NAME)) if out.exists() else []
        if runs and len(read_records(runs[0].parent)) >= 40:
            return proc, runs[0].parent
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the run produced no records in time")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_flushes_records_and_marks_summary_partial(tmp_path: Path, sig: signal.Signals) -> None:
    proc, run_dir = _start(tmp_path)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, stderr[-2000:]
    assert stdout.strip().splitlines()[-1] == str(run_dir)
    assert "Traceback" not in stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["run"]["partial"] is True
    assert sig.name in summary["run"]["partial_reason"]
    records = read_records(run_dir)
    assert (run_dir / "records.parquet").exists()
    assert not (run_dir / JOURNAL_NAME).exists()
    assert summary["requests"]["total"] == int((records["phase"] == "measure").sum())
    # In-flight requests were allowed to finish: none was cut off.
    assert (records["error_kind"] != "cancelled").all()
    assert (run_dir / "report.html").exists()


def test_sigkill_leaves_records_up_to_the_last_second(tmp_path: Path) -> None:
    proc, run_dir = _start(tmp_path)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "the embedded simulator runs in a child process"
    time.sleep(1.0)
    killed_at = time.time()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    records = read_records(run_dir)
    assert len(records) >= 40
    finished_at = records["sent_at"] + records["e2e_s"]
    # Flushes happen every 0.5 s: everything that finished before the last second is there.
    assert finished_at.max() >= killed_at - 1.0
    assert records["ok"].all()
    # The simulator the run started does not outlive it.
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive
    # `slm-harness report` recovers the run: records compacted, a partial summary, a report.
    proc2 = cli("report", str(run_dir))
    assert proc2.returncode == 0, proc2.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["run"]["partial"] is True
    assert summary["requests"]["total"] + summary["requests"]["warmup"] + summary["requests"][
        "cooldown"
    ] == len(read_records(run_dir))
    assert (run_dir / "records.parquet").exists() and (run_dir / "report.html").exists()
