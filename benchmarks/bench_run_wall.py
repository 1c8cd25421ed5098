"""Wall time of a whole run against the built-in simulator: `slm-harness run smoke --duration 10`.

Each repeat times the command from launch to exit and splits it with the run's own clock
(``run.started_at`` / ``run.ended_at`` in summary.json, when the load started and stopped):
start (interpreter, imports, simulator start, services) before the load, the load itself, and
stop (stopping the load, the simulator and the services, summary, report) after it.

Target: wall time at most duration + 3 s.

Usage: ``python benchmarks/bench_run_wall.py [repeats]`` (default 5).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DURATION_S = 10.0


def once(out: Path) -> dict[str, float]:
    command = [str(Path(sys.executable).parent / "slm-harness"), "run", "smoke", "--duration",
               f"{DURATION_S:g}", "--quiet", "--out", str(out)]  # fmt: skip
    launched = time.time()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    exited = time.time()
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    run = json.loads((Path(done.stdout.strip().splitlines()[-1]) / "summary.json").read_text())["run"]
    return {
        "wall_s": exited - launched,
        "start_s": run["started_at"] - launched,
        "load_s": run["ended_at"] - run["started_at"],
        "stop_s": exited - run["ended_at"],
    }


def main(repeats: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        runs = [once(Path(tmp)) for _ in range(repeats)]
    for run in runs:
        print(json.dumps({k: round(v, 2) for k, v in run.items()}))
    print(f"| part | median of {repeats} (s) | range (s) |")
    print("|---|---|---|")
    for key, label in (("wall_s", "**wall**"), ("start_s", "start: launch to first request"),
                       ("load_s", "load"), ("stop_s", "stop: load end to exit")):  # fmt: skip
        values = [r[key] for r in runs]
        print(f"| {label} | {statistics.median(values):.2f} | {min(values):.2f}–{max(values):.2f} |")
    wall = statistics.median(r["wall_s"] for r in runs)
    print(f"target ≤ {DURATION_S + 3:g} s: {'met' if wall <= DURATION_S + 3 else 'missed'}")
    return 0 if wall <= DURATION_S + 3 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
