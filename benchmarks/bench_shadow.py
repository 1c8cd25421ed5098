"""Shadow mirroring: does mirroring every request to a slower shadow change the primary's latency?

Two simulators run as separate processes: the primary (TTFT 50 ms, ITL 5 ms) and a shadow four
times slower. The same open-loop load (constant arrivals, fixed rate) is run against the primary
alone and in shadow mode (primary + the shadow), alternating, several times each. The primary's
TTFT p50 / p99 and E2E p50 are compared: the difference of the means "with" and "alone" must be
smaller than the run-to-run noise, taken as the spread (max − min) of the runs alone.

Usage: ``python benchmarks/bench_shadow.py``
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.sim.config import SimConfig  # noqa: E402
from harness.sim.process import SimProcess  # noqa: E402

RATE_RPS = 40
DURATION_S = 12
WARMUP_S = 2
REPEATS = 4
MAX_TOKENS = 16
METRICS = (("TTFT p50", "ttft_ms", "p50"), ("TTFT p99", "ttft_ms", "p99"), ("E2E p50", "e2e_ms", "p50"))


def _scenario(primary: str, shadow: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "shadow-bench",
        "workload": {
            "source": {"type": "inline", "prompts": ["Say something.", "Tell me about load testing."]},
            "max_tokens": MAX_TOKENS,
            "ignore_eos": True,
        },
        "load": {
            "profile": {"type": "rate", "rate_rps": RATE_RPS, "arrival": "constant"},
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
    summary = json.loads((Path(done.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    if "targets" not in summary:
        return {"block": summary, "extra": summary["extra"]}
    primary = next(b for b in summary["targets"] if b["name"] == "primary")
    return {"block": primary, "extra": summary["extra"], "shadow": summary["compare"]["shadow"]}


def main() -> int:
    primary_cfg = SimConfig(ttft_ms=50, itl_ms=5, seed=1)
    shadow_cfg = SimConfig(ttft_ms=200, itl_ms=20, seed=2)
    results: dict[str, list[dict[str, Any]]] = {"alone": [], "with shadow": []}
    with (
        SimProcess(primary_cfg) as primary,
        SimProcess(shadow_cfg) as shadow,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for i in range(REPEATS):
            results["alone"].append(_run(Path(tmp), _scenario(primary.base_url, None), 2 * i))
            results["with shadow"].append(
                _run(Path(tmp), _scenario(primary.base_url, shadow.base_url), 2 * i + 1)
            )
    print(
        f"{REPEATS} runs each, {RATE_RPS} req/s constant, {DURATION_S - WARMUP_S} s measured, "
        f"{MAX_TOKENS} tokens"
    )
    print(
        "| metric (primary) | alone: runs | with shadow: runs | mean difference "
        "| run-to-run spread alone | within noise |"
    )
    print("|---|---|---|---|---|---|")
    ok = True
    for label, key, stat in METRICS:
        alone = [r["block"]["latency"][key][stat] for r in results["alone"]]
        shadowed = [r["block"]["latency"][key][stat] for r in results["with shadow"]]
        diff = statistics.mean(shadowed) - statistics.mean(alone)
        spread = max(alone) - min(alone)
        within = abs(diff) < spread
        ok &= within
        print(
            f"| {label} (ms) | {', '.join(f'{v:.2f}' for v in alone)} "
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
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
