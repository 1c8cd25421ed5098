"""Run the benchmarks and print their results (record them in benchmarks/RESULTS.md).

Usage: ``python benchmarks/run.py`` for all, ``python benchmarks/run.py capacity`` for one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "capacity": HERE / "bench_capacity.py",
    "capacity-search": HERE / "bench_capacity_search.py",
    "capacity-real-servers": HERE / "bench_real_servers_capacity.py",
    "drift": HERE / "bench_drift.py",
    "large-chunks": HERE / "bench_large_chunks.py",
    "big-runs": HERE / "bench_big_runs.py",
    "exporter": HERE / "bench_exporter.py",
    "shadow": HERE / "bench_shadow.py",
    "trace-replay": HERE / "bench_trace_replay.py",
    "gate": HERE / "bench_gate.py",
    "peers": HERE / "bench_peers.py",
    "run-wall": HERE / "bench_run_wall.py",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"== {name}", flush=True)
        status |= subprocess.run([sys.executable, str(BENCHMARKS[name])], check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
