"""How long an SLO capacity search takes, and how close its answer is to the model.

The built-in simulator serves 8 sequences at once, 100 ms to the first token and 63 more tokens
10 ms apart (0.73 s a request): its capacity is 8 / 0.73 = 10.96 req/s. The search runs with
5 s probes (1 s warm-up), Poisson arrivals, an E2E SLO of 1.2 s met by 99 % of requests.
Target: the search finishes in at most 3 minutes; max_rps within 5 % of 10.96 req/s.

Usage: ``python benchmarks/bench_capacity_search.py``
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CAPACITY_RPS = 8 / (0.100 + 63 * 0.010)
SCENARIO = {
    "name": "capacity-search-bench",
    "simulator": {"ttft_ms": 100, "itl_ms": 10, "max_num_seqs": 8, "seed": 4},
    "workload": {
        "source": {"type": "inline", "prompts": ["Say something."]},
        "max_tokens": 64,
        "ignore_eos": True,
    },
    "load": {"profile": {"type": "rate", "rate_rps": 1, "arrival": "poisson"}, "duration_s": 10},
    "slo": {"e2e_ms": 1200},
    "telemetry": {"gpu": {"enabled": False}},
    "publish": {"exporter": {"enabled": False}},
}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(SCENARIO))
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli.main", "capacity", str(path), "--stage-s", "5",
             "--stage-warmup-s", "1", "--out", tmp, "--quiet"],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip
        wall = time.monotonic() - started
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        capacity = json.loads((Path(done.stdout.strip().splitlines()[-1]) / "summary.json").read_text())[
            "capacity"
        ]
    print("| probe | load | delivered req/s | SLO met | decided by |")
    print("|---|---|---|---|---|")
    for p in capacity["probes"]:
        load = f"{p['rate_rps']:g} req/s" if "rate_rps" in p else f"{p['users']:g} users"
        print(
            f"| {p['stage']} | {load} | {p['requests_per_s']:.2f} | {p['attainment']:.1%} | "
            f"{'pass' if p['passed'] else 'fail'} ({p['decided_by']}) |"
        )
    error = capacity["max_rps"] / CAPACITY_RPS - 1
    print(
        f"\nsearch wall time {wall:.0f} s (target <= 180 s); {capacity['stages_run']} probes; "
        f"max_rps {capacity['max_rps']:.2f} req/s ({error:+.1%} vs {CAPACITY_RPS:.2f}); "
        f"slo_rps {capacity['slo_rps']:.2f} req/s; limit {capacity['limit']}"
    )
    return 0 if wall <= 180 and abs(error) <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
