"""Distributed runs: a master and Locust workers, records merged exactly, lost workers reported."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from harness.records.store import read_records
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import ROOT, inline_workload, write_scenario


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_fleet(
    tmp_path: Path, spec: dict, workers: int, kill_one: Callable[[Path], bool] | None = None
) -> tuple[Path, float | None]:
    """Run a master and ``workers`` workers; ``kill_one(journal)`` says when to SIGKILL the first
    worker (polled while the run lasts). Returns the run directory and the kill time."""
    port = _free_port()
    scenario = write_scenario(tmp_path, spec)
    master = _spawn(
        "run", str(scenario), "--out", str(tmp_path / "runs"), "--quiet",
        "--master", "--expect-workers", str(workers), "--master-bind-port", str(port),
    )  # fmt: skip
    procs = [_spawn("worker", "--master-port", str(port)) for _ in range(workers)]
    killed_at = None
    try:
        if kill_one is not None:
            deadline = time.monotonic() + 90
            while killed_at is None and time.monotonic() < deadline and master.poll() is None:
                time.sleep(0.2)
                journals = list((tmp_path / "runs").glob("*/records.arrows"))
                if journals and kill_one(journals[0]):
                    os.kill(procs[0].pid, signal.SIGKILL)
                    killed_at = time.time()
            assert killed_at is not None, "the run never reached the point to kill a worker"
        out, err = master.communicate(timeout=120)
        assert master.returncode == 0, err[-3000:]
        for p in procs[1:] if kill_one is not None else procs:
            p.wait(timeout=30)
    finally:
        for p in [*procs, master]:
            if p.poll() is None:
                p.kill()
    return Path(out.strip().splitlines()[-1]), killed_at


@pytest.fixture(scope="module")
def sim() -> SimProcess:
    with SimProcess(SimConfig(ttft_ms=40, itl_ms=4, seed=2, max_num_seqs=64)) as s:
        yield s


def _spec(sim: SimProcess, profile: dict, duration: float) -> dict:
    return {
        "name": "fleet",
        "endpoint": {"base_url": sim.base_url, "model": "sim-model"},
        "workload": inline_workload(12),
        "load": {"profile": profile, "duration_s": duration, "warmup_s": 1},
    }


def test_master_and_two_workers_merge_records_exactly(tmp_path: Path, sim: SimProcess) -> None:
    run_dir, _ = _run_fleet(tmp_path, _spec(sim, {"type": "concurrency", "users": 6}, 6), workers=2)
    summary = json.loads((run_dir / "summary.json").read_text())
    records = read_records(run_dir)
    fleet = summary["workers"]
    assert fleet["count"] == 2 and fleet["lost"] == []
    per_worker = records["worker"].value_counts().to_dict()
    assert set(per_worker) == {w["worker"] for w in fleet["workers"]}
    # Total requests equal the sum of what the workers sent, and every worker did send.
    assert {w["worker"]: w["requests"] for w in fleet["workers"]} == per_worker
    assert len(records) == sum(per_worker.values()) and min(per_worker.values()) > 10
    # Merged percentiles are the percentiles of the union of the workers' raw samples.
    union = pd.concat([g for _, g in records.groupby("worker")])
    ttft = union[(union["phase"] == "measure") & union["ok"]]["ttft_s"].to_numpy() * 1000
    for q, key in ((50, "p50"), (95, "p95"), (99, "p99")):
        assert summary["latency"]["ttft_ms"][key] == pytest.approx(float(np.percentile(ttft, q)), rel=1e-12)
    assert summary["run"]["workers"] == 2


def test_open_loop_rate_is_split_across_workers(tmp_path: Path, sim: SimProcess) -> None:
    spec = _spec(sim, {"type": "rate", "rate_rps": 30, "arrival": "constant"}, 6)
    run_dir, _ = _run_fleet(tmp_path, spec, workers=2)
    records = read_records(run_dir)
    counts = records["worker"].value_counts()
    assert len(counts) == 2
    # 30 req/s for 6 s in all, half each, intended times interleaved across workers.
    assert 170 <= len(records) <= 182
    assert abs(counts.iloc[0] - counts.iloc[1]) <= 3
    intended = np.sort(records["intended_at"].to_numpy())
    assert np.median(np.diff(intended)) == pytest.approx(1 / 30, rel=0.05)


def _completed_on_server(sim: SimProcess) -> float:
    page = httpx.get(f"{sim.base_url}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith("vllm:request_success_total")
    )


def test_killed_worker_loses_under_a_second_and_its_users_move_to_the_survivor(tmp_path: Path) -> None:
    with SimProcess(SimConfig(ttft_ms=40, itl_ms=4, seed=3, max_num_seqs=64)) as sim:

        def both_workers_busy(journal: Path) -> bool:
            counts = read_records(journal.parent, ["worker"])["worker"].value_counts()
            return len(counts) == 2 and counts.min() >= 20

        spec = _spec(sim, {"type": "concurrency", "users": 4}, 18)
        run_dir, killed_at = _run_fleet(tmp_path, spec, workers=2, kill_one=both_workers_busy)
        completed_on_server = _completed_on_server(sim)
    assert killed_at is not None
    summary = json.loads((run_dir / "summary.json").read_text())
    lost = summary["workers"]["lost"]
    assert len(lost) == 1
    assert lost[0]["requests"] > 0 and lost[0]["lost_at"] is not None
    records = read_records(run_dir)
    dead = lost[0]["worker"]
    survivor = next(w["worker"] for w in summary["workers"]["workers"] if w["lost_at"] is None)
    # The survivor lost nothing: its request ids run without a gap.
    ids = records.loc[records["worker"] == survivor, "request_id"]
    numbers = sorted(int(i.rsplit("-", 1)[1]) for i in ids)
    assert numbers == list(range(len(numbers)))
    # The killed worker's records reached the master at least every half second: what the server
    # completed but no record shows is at most one second of that worker's requests.
    theirs = records[records["worker"] == dead]
    span = theirs["sent_at"].max() - theirs["sent_at"].min()
    per_second = len(theirs) / span
    missing = completed_on_server - int(records["ok"].sum())
    assert 0 <= missing <= per_second * 1.0, (missing, per_second)
    # Its two users went to the survivor, which then had four requests in flight at once.
    after = records[(records["worker"] == survivor) & (records["sent_at"] > killed_at)]
    before = records[(records["worker"] == survivor) & (records["sent_at"] < killed_at)]
    assert before["concurrency_at_send"].max() == 2
    assert after["concurrency_at_send"].max() == 4
    assert after["sent_at"].max() > summary["run"]["started_at"] + 15
