"""Helpers shared by the golden and gate tests: synthetic sets and real golden runs on the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.golden.dataset import GoldenSet, load_set
from harness.golden.output import write_golden_run
from harness.golden.runner import run_golden
from harness.golden.transport import EndpointSettings, RetryPolicy
from harness.records.rundir import new_run_dir
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess

FAST_SIM: dict[str, Any] = {"ttft_ms": 2.0, "itl_ms": 0.5}


def grouped_set(folder: Path, n: int = 200, groups: int = 10, name: str = "quality") -> GoldenSet:
    """`n` items tagged ``g0``…``g{groups-1}`` in equal shares, so per-tag simulator accuracy
    decides exactly which items are answered wrongly."""
    path = folder / f"{name}.jsonl"
    items = [
        {
            "id": f"q{i:03d}",
            "messages": [{"role": "user", "content": f"Ticket {i}: which queue handles it?"}],
            "expected": f"queue-{i % 7}",
            "tags": [f"g{i % groups}"],
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return load_set(path)


def golden_run_dir(golden_set: GoldenSet, runs: Path, concurrency: int = 16, **sim: Any) -> Path:
    """Ask every item of `golden_set` on a fresh simulator and write a golden-only run directory."""
    cfg = SimConfig(golden_files=(str(golden_set.path),), **{**FAST_SIM, **sim})
    with SimProcess(cfg) as server:
        settings = EndpointSettings(base_url=server.base_url, model=cfg.model)
        output = run_golden(
            [golden_set], settings, concurrency=concurrency, policy=RetryPolicy(backoff_s=0.01)
        )
    run_dir = new_run_dir(runs, "golden")
    write_golden_run(run_dir, output, "golden", cfg.model, server.base_url, "chat")
    return run_dir
