"""Trace replay timing: are requests sent when the trace says?

A 5-minute Mooncake-format trace (Poisson arrivals whose rate swings around its mean, plus
bursts of requests 4 ms apart; half the prompts share one of three prefix blocks) is replayed at
10x against the built-in simulator in its own process, through ``slm-harness run``. The schedule
lag of each request is its actual send time (bytes handed to the socket) minus the trace's time
for it, sped up. Target: p99 lag within 5 ms.

Beside each run a probe process does nothing but sleep until the same instants and note how late
it woke: the floor any process on this machine gets at that moment, so a missed target can be
told apart from a busy machine.

Usage: ``python benchmarks/bench_trace_replay.py [--runs N] [--rps MEAN]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.traces import write_mooncake_trace  # noqa: E402

TRACE_S = 300.0
SPEEDUP = 10.0
TARGET_P99_MS = 5.0


PROBE = """
from gevent import monkey; monkey.patch_all()
import json, sys, time
import gevent
times = json.load(open(sys.argv[1]))
start = time.time() + float(sys.argv[2])
late = []
for offset in times:
    due = start + offset
    delay = due - time.time()
    if delay > 0:
        gevent.sleep(delay)
    late.append((time.time() - due) * 1000.0)
print(json.dumps(late))
"""


def run_once(work: Path, rps: float, seed: int) -> dict[str, float]:
    trace = work / f"trace-{seed}.jsonl"
    rows = write_mooncake_trace(
        trace, TRACE_S, rps, seed=seed, block_tokens=64, input_tokens=(100, 400), output_tokens=8,
        burst_every_s=20.0, burst_size=8,
    )  # fmt: skip
    scenario = {
        "name": "trace-replay-bench",
        "simulator": {"ttft_ms": 20, "itl_ms": 5},
        "workload": {"ignore_eos": True},
        "load": {"profile": {"type": "trace", "source": str(trace), "speedup": SPEEDUP, "block_tokens": 64}},
        "telemetry": {"gpu": {"enabled": False}},
        "publish": {"exporter": {"enabled": False}},
    }
    path = work / f"scenario-{seed}.yaml"
    path.write_text(yaml.safe_dump(scenario))
    first = float(rows[0]["timestamp"])  # type: ignore[arg-type]
    offsets = [(float(r["timestamp"]) - first) / 1000.0 / SPEEDUP for r in rows]  # type: ignore[arg-type]
    (work / f"offsets-{seed}.json").write_text(json.dumps(offsets))
    load_average = os.getloadavg()[0]
    # The probe's schedule starts a little after the run's, which takes a few seconds to start.
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(work / f"offsets-{seed}.json"), "4.0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "run", str(path), "--out", str(work / "runs"), "--quiet"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    floor_ms = np.array(json.loads(probe.communicate()[0]))
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    records = pd.read_parquet(run_dir / "records.parquet")
    summary = json.loads((run_dir / "summary.json").read_text())
    lag_ms = records["schedule_lag_s"].to_numpy() * 1000.0
    return {
        "requests": float(len(records)),
        "trace_requests": float(len(rows)),
        "errors": float((~records["ok"]).sum()),
        "mean_rps": len(records) / (TRACE_S / SPEEDUP),
        "p50": float(np.percentile(lag_ms, 50)),
        "p90": float(np.percentile(lag_ms, 90)),
        "p99": float(np.percentile(lag_ms, 99)),
        "p99_9": float(np.percentile(lag_ms, 99.9)),
        "max": float(lag_ms.max()),
        "within_5ms": float((lag_ms <= TARGET_P99_MS).mean()),
        "client_cpu_max": float(summary["health"]["client_cpu_max_percent"] or 0.0),
        "probe_p50": float(np.percentile(floor_ms, 50)),
        "probe_p99": float(np.percentile(floor_ms, 99)),
        "load_average": load_average,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rps", type=float, default=4.0, help="the trace's mean rate before the speed-up")
    args = parser.parse_args()
    print(
        f"{TRACE_S:.0f} s trace at {args.rps:g} req/s mean, replayed at {SPEEDUP:g}x "
        f"({TRACE_S / SPEEDUP:.0f} s, ~{args.rps * SPEEDUP:g} req/s)"
    )
    print(
        "| run | requests | errors | lag p50 ms | p90 | p99 | p99.9 | max | within 5 ms "
        "| client CPU max % | probe p50 / p99 ms | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        for i in range(args.runs):
            r = run_once(Path(tmp), args.rps, seed=i)
            worst = max(worst, r["p99"])
            print(
                f"| {i + 1} | {r['requests']:.0f} of {r['trace_requests']:.0f} | {r['errors']:.0f} | "
                f"{r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | {r['p99_9']:.2f} | {r['max']:.2f} | "
                f"{r['within_5ms']:.1%} | {r['client_cpu_max']:.0f} | "
                f"{r['probe_p50']:.2f} / {r['probe_p99']:.2f} | {r['load_average']:.1f} |",
                flush=True,
            )
    verdict = "met" if worst <= TARGET_P99_MS else "missed"
    print(f"p99 lag, worst run: {worst:.2f} ms (target ≤ {TARGET_P99_MS:g} ms): {verdict}")
    return 0 if worst <= TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())
