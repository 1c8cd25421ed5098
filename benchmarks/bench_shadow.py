"""Shadow mirroring: does mirroring every request to a slower shadow change the primary's latency?

Two simulators run as separate processes: the primary (TTFT 50 ms, ITL 5 ms) and a shadow four
times slower. The same open-loop load (constant arrivals, fixed rate) is run against the primary
alone and in shadow mode (primary + the shadow), alternating, several times each. The primary's
TTFT p50 / p99 and E2E p50 are compared: the difference of the means "with" and "alone" must be
smaller than the run-to-run noise, taken as the spread (max − min) of the runs alone.

Here the shadow simulator shares the machine's two cores with the primary simulator and the
client, so a change in the primary's latency may be the primary server slowed down, not the
client distorted. The simulator reports its own time to the first token (ground truth), so the
client's part is separated: TTFT measured − the simulator's truth, per request.

Two settings: ``constant`` arrivals with exactly periodic simulators, where by construction the
shadow's chunks arrive at the same instants as the primary's first chunks (the worst case for a
client reading both on one event loop), and ``poisson`` arrivals with 2 ms of simulator jitter.

Usage: ``python benchmarks/bench_shadow.py [constant|poisson]`` (default: both)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.records.store import read_records  # noqa: E402
from harness.sim.config import SimConfig  # noqa: E402
from harness.sim.process import SimProcess  # noqa: E402

RATE_RPS = 40
DURATION_S = 12
WARMUP_S = 2
REPEATS = 5
MAX_TOKENS = 16
METRICS = (
    ("TTFT p50", "ttft_ms", "p50"),
    ("TTFT p99", "ttft_ms", "p99"),
    ("E2E p50", "e2e_ms", "p50"),
    ("simulator's own TTFT p50 (truth)", "truth", "p50"),
    ("client's part: TTFT − truth, p50", "error", "p50"),
    ("client's part: TTFT − truth, p99", "error", "p99"),
)


def _scenario(primary: str, shadow: str | None, arrival: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "shadow-bench",
        "workload": {
            "source": {"type": "inline", "prompts": ["Say something.", "Tell me about load testing."]},
            "max_tokens": MAX_TOKENS,
            "ignore_eos": True,
        },
        "load": {
            "profile": {"type": "rate", "rate_rps": RATE_RPS, "arrival": arrival},
            "duration_s": DURATION_S,
            "warmup_s": WARMUP_S,
        },
        "publish": {"exporter": {"enabled": False}},
        "telemetry": {"gpu": {"enabled": False}, "server_metrics": {"enabled": False}},
    }
    if shadow is None:
        spec["endpoint"] = {"base_url": primary, "model": "sim-model"}
    else:
        spec["targets"] = [
            {"name": "primary", "base_url": primary, "model": "sim-model"},
            {"name": "shadow", "base_url": shadow, "model": "sim-model"},
        ]
        spec["compare"] = {"mode": "shadow"}
    return spec


def _run(tmp: Path, spec: dict[str, Any], index: int) -> dict[str, Any]:
    path = tmp / f"run{index}.yaml"
    path.write_text(yaml.safe_dump(spec))
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "run", str(path), "--quiet", "--out", str(tmp / "runs")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    run_dir = Path(done.stdout.strip().splitlines()[-1])
    summary = json.loads((run_dir / "summary.json").read_text())
    records = read_records(run_dir)
    rows = records[(records["phase"] == "measure") & records["ok"]]
    if "targets" not in summary:
        block, shadow = summary, None
    else:
        block = next(b for b in summary["targets"] if b["name"] == "primary")
        shadow = summary["compare"]["shadow"]
        rows = rows[rows["target"] == "primary"]
    error_ms = (rows["ttft_s"] - rows["truth_ttft_s"]).to_numpy(dtype=float) * 1000
    truth_ms = rows["truth_ttft_s"].to_numpy(dtype=float) * 1000
    values = {(key, stat): block["latency"][key][stat] for _, key, stat in METRICS if key in block["latency"]}
    values[("truth", "p50")] = float(np.percentile(truth_ms, 50))
    values[("error", "p50")] = float(np.percentile(error_ms, 50))
    values[("error", "p99")] = float(np.percentile(error_ms, 99))
    return {"values": values, "block": block, "extra": summary["extra"], "shadow": shadow}


def main(settings: list[str]) -> int:
    ok = True
    for arrival in settings:
        ok &= _setting(arrival)
    return 0 if ok else 1


def _setting(arrival: str) -> bool:
    jitter = 0.0 if arrival == "constant" else 2.0
    primary_cfg = SimConfig(ttft_ms=50, itl_ms=5, seed=1, jitter_ms=jitter)
    shadow_cfg = SimConfig(ttft_ms=200, itl_ms=20, seed=2, jitter_ms=jitter)
    results: dict[str, list[dict[str, Any]]] = {"alone": [], "with shadow": []}
    with (
        SimProcess(primary_cfg) as primary,
        SimProcess(shadow_cfg) as shadow,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for i in range(REPEATS):
            alone = _scenario(primary.base_url, None, arrival)
            with_shadow = _scenario(primary.base_url, shadow.base_url, arrival)
            results["alone"].append(_run(Path(tmp), alone, 2 * i))
            results["with shadow"].append(_run(Path(tmp), with_shadow, 2 * i + 1))
    print(
        f"\n{arrival} arrivals, simulator jitter {jitter:g} ms: {REPEATS} runs each, {RATE_RPS} req/s, "
        f"{DURATION_S - WARMUP_S} s measured, {MAX_TOKENS} tokens"
    )
    print(
        "| metric (primary) | alone: runs | with shadow: runs | mean difference "
        "| run-to-run spread alone | within noise |"
    )
    print("|---|---|---|---|---|---|")
    ok = True
    for label, key, stat in METRICS:
        base = [float(r["values"][(key, stat)]) for r in results["alone"]]
        shadowed = [float(r["values"][(key, stat)]) for r in results["with shadow"]]
        diff = statistics.mean(shadowed) - statistics.mean(base)
        spread = max(base) - min(base)
        within = abs(diff) < spread
        ok &= within
        print(
            f"| {label} (ms) | {', '.join(f'{v:.2f}' for v in base)} "
            f"| {', '.join(f'{v:.2f}' for v in shadowed)} "
            f"| {diff:+.2f} | {spread:.2f} | {'yes' if within else 'no'} |"
        )
    for name, runs in results.items():
        lag = [r["block"]["latency"]["schedule_lag_ms"]["p99"] for r in runs]
        cpu = [r["extra"]["client_cpu"]["mean_percent"] for r in runs]
        print(
            f"{name}: primary schedule lag p99 {', '.join(f'{v:.1f}' for v in lag)} ms; "
            f"client CPU mean {', '.join(f'{v:.0f}' for v in cpu)} %"
        )
    mirrored = [r["shadow"]["mirrored"] for r in results["with shadow"]]
    dropped = [r["shadow"]["dropped"] for r in results["with shadow"]]
    print(f"mirrors sent per run: {mirrored}; dropped: {dropped}")
    return ok


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["constant", "poisson"]))
