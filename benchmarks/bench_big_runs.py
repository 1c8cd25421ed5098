"""A one-hour run at 1,000 req/s: 3.6 M request records, each with 16 chunk gaps.

Measured, each in a fresh process so that peak memory is the step's own:

1. **record stream** — 3.6 M records through the run's record store (journal flushed every
   1,000 records, as a run at 1,000 req/s does every second) and its progress counters; the
   process's peak resident memory is what a run holds while it lasts;
2. **summary** — the run's `summary.json` from `records.parquet` (the path `finish_run` takes):
   seconds and peak memory;
3. **report** — `report.html` from the same run directory: seconds, peak memory, size;
4. **all in one process** — the three steps again in one process, as a run does them (its
   records, then ``finish_run``'s summary and report): the peak a run's process reaches;
5. **CLI start** — `slm-harness --help` and `slm-harness version`, wall seconds.

Targets: resident memory under 1 GB while the run lasts, summary and report included; the
summary in at most 5 s; report.html usable (binned distributions, per-second time series); CLI
start at most 0.3 s.

Usage: ``python benchmarks/bench_big_runs.py [records]`` (default 3,600,000).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GAPS = 16
START = 1_800_000_000.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stream(run_dir: str, n: int) -> None:
    """Step 1: every record through the store and the progress counters, as a run does."""
    import numpy as np

    from harness.load.progress import ProgressStats
    from harness.records.record import RequestRecord
    from harness.records.store import RecordWriter

    rng = np.random.default_rng(0)
    writer, stats = RecordWriter(Path(run_dir)), ProgressStats()
    started = time.perf_counter()
    for i in range(n):
        gaps = (rng.gamma(4.0, 0.0025, GAPS)).tolist()
        ttft = float(rng.lognormal(np.log(0.05), 0.3))
        record = RequestRecord(
            request_id=f"local-{i}", scenario="big", sent_at=START + i / 1000.0, ttft_s=ttft, ttfc_s=ttft,
            e2e_s=ttft + sum(gaps), chunk_gaps_s=gaps, n_content_chunks=GAPS + 1, n_in=100, n_out=GAPS + 1,
            token_source="usage", ok=True, output_text="alpha beta gamma delta epsilon zeta eta theta",
        )  # fmt: skip
        writer.append(record)
        stats(record)
        if i % 1000 == 999:
            writer.flush()
    writer.close()
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}))


def summary(run_dir: str) -> None:
    """Step 2: summary.json from records.parquet, as finish_run does."""
    from harness.analysis.gaps import file_batches
    from harness.analysis.meta import RunMeta
    from harness.analysis.metrics import SUMMARY_COLUMNS
    from harness.analysis.summary import summarize
    from harness.records.store import read_records

    started = time.perf_counter()
    records = read_records(Path(run_dir), SUMMARY_COLUMNS, compact=True)
    end = float(records["sent_at"].max())
    meta = RunMeta(run_id="big", scenario="big", model="m", endpoint="e", api="chat", started_at=START,
                   ended_at=end + 1, window_start=START, window_end=end)  # fmt: skip
    result = summarize(records, meta, file_batches(Path(run_dir)))
    seconds = time.perf_counter() - started
    (Path(run_dir) / "summary.json").write_text(json.dumps(result))
    print(
        json.dumps(
            {"seconds": seconds, "peak_mb": _peak_mb(), "itl_count": result["latency"]["itl_ms"]["count"]}
        )
    )


def report(run_dir: str) -> None:
    """Step 3: report.html."""
    from harness.report.html import write_report

    started = time.perf_counter()
    out = write_report(Path(run_dir))
    print(
        json.dumps(
            {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "mb": out.stat().st_size / 1e6}
        )
    )


def whole(run_dir: str, n: int) -> None:
    """Step 4: records, summary and report in one process, as a run does them."""
    started = time.perf_counter()
    for step in (lambda: stream(run_dir, n), lambda: summary(run_dir), lambda: report(run_dir)):
        step()
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}))


def _step(name: str, run_dir: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, f"--{name}", run_dir, *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cli_start(*args: str) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "slm-harness"), *args], capture_output=True, cwd=ROOT
        )
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def main(n: int) -> int:
    with tempfile.TemporaryDirectory() as run_dir:
        streamed = _step("stream", run_dir, str(n))
        summarised = _step("summary", run_dir)
        reported = _step("report", run_dir)
    with tempfile.TemporaryDirectory() as run_dir:
        together = _step("whole", run_dir, str(n))
    help_s, version_s = _cli_start("--help"), _cli_start("version")
    rows = [
        (f"{n:,} records through the record store and progress", f"{streamed['seconds']:.0f}",
         f"{streamed['peak_mb']:.0f}", "journal flushed every 1,000 records"),
        ("summary.json from records.parquet", f"{summarised['seconds']:.1f}", f"{summarised['peak_mb']:.0f}",
         f"{summarised['itl_count']:,} ITL samples"),
        ("report.html", f"{reported['seconds']:.1f}", f"{reported['peak_mb']:.0f}",
         f"{reported['mb']:.1f} MB"),
        ("all three in one process, as a run", f"{together['seconds']:.1f}", f"{together['peak_mb']:.0f}",
         "peak of the run's process"),
        ("`slm-harness --help` / `version`", f"{help_s:.2f} / {version_s:.2f}", "", "median of 5"),
    ]  # fmt: skip
    print("| step | seconds | peak resident memory (MB) | note |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    ok = together["peak_mb"] < 1024 and summarised["seconds"] <= 5 and max(help_s, version_s) <= 0.3
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1].startswith("--"):
        step, run_dir = sys.argv[1][2:], sys.argv[2]
        sys.path.insert(0, str(ROOT))
        n = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        steps = {"stream": lambda: stream(run_dir, n), "summary": lambda: summary(run_dir),
                 "report": lambda: report(run_dir), "whole": lambda: whole(run_dir, n)}  # fmt: skip
        steps[step]()
    else:
        sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3_600_000))
