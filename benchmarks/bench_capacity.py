"""Harness capacity and timing error against the simulator.

Capacity: the highest open-loop arrival rate (streamed requests/s, constant arrivals, 16 output
tokens each) the harness sustains on this machine — achieved throughput within 2 % of the target,
p99 schedule lag under the overload bound, no errors, and not flagged overloaded by its own
health check (which includes a saturated client CPU). The simulator runs on the same machine.
Timing error: harness TTFT minus the simulator's own ground truth (request receipt to first token
write) at half that capacity.

Usage: python benchmarks/bench_capacity.py [--rates 25,50,...] [--duration 15]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
LAG_BOUND_MS = 100.0


def run_rate(rate: float, duration: float, out: Path, max_tokens: int = 16) -> dict[str, Any]:
    spec = {
        "name": f"capacity-{rate:g}",
        "simulator": {"ttft_ms": 50, "itl_ms": 5, "max_num_seqs": 4096, "seed": 1},
        "workload": {
            "source": {"type": "inline", "prompts": ["Benchmark the harness, please."]},
            "max_tokens": max_tokens,
            "ignore_eos": True,
        },
        "load": {
            "profile": {"type": "rate", "rate_rps": rate, "arrival": "constant", "max_in_flight": 5000},
            "duration_s": duration,
            "warmup_s": 2,
        },
        "publish": {"exporter": {"enabled": False}},
    }
    path = out / f"rate-{rate:g}.yaml"
    path.write_text(yaml.safe_dump(spec))
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "run", str(path), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=duration + 120,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    return json.loads((run_dir / "summary.json").read_text())


def sustained(summary: dict[str, Any], rate: float) -> bool:
    achieved = summary["throughput"]["requests_per_s"] or 0.0
    lag = summary["latency"]["schedule_lag_ms"]["p99"] or 0.0
    client_errors = summary["errors"]["by_kind"].get("client", 0) + summary["requests"]["errored"]
    overloaded = summary["health"]["overloaded"]
    return achieved >= 0.98 * rate and lag < LAG_BOUND_MS and client_errors == 0 and not overloaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="200,400,600,800,1000,1200,1500")
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    rows = []
    best = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for rate in rates:
            s = run_rate(rate, args.duration, out)
            ok = sustained(s, rate)
            rows.append(
                {
                    "target_rps": rate,
                    "achieved_rps": s["throughput"]["requests_per_s"],
                    "lag_p99_ms": s["latency"]["schedule_lag_ms"]["p99"],
                    "errors": s["requests"]["errored"],
                    "client_cpu_max_percent": s["health"]["client_cpu_max_percent"],
                    "ttft_p50_ms": s["latency"]["ttft_ms"]["p50"],
                    "overloaded": s["health"]["overloaded"],
                    "sustained": ok,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
            if not ok:
                break
            best = rate
        half = best / 2 if best else rates[0]
        s = run_rate(half, args.duration, out)
        err = s.get("accuracy", {}).get("ttft_error_ms", {})
    result = {"capacity_rps": best, "timing_at_rps": half, "ttft_error_ms": err, "steps": rows}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
