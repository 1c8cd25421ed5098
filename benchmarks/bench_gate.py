"""False alarms and power of the CI gate on this machine, against the built-in simulator.

A/A: `--pairs` pairs of the same scenario. Each pair has its own baseline, calibrated with
``gate calibrate --runs K`` (A/A runs, noise floors stored with it), and a candidate group
``run --repeat N``; in the second half of the pairs a CPU-hog process (a busy loop) runs
beside the candidate. Every pair is gated with the default rules. The same pairs are also
gated with tight 2 % rules (refused when tighter than the calibrated floors), and the old
way: the gate as of OLD_COMMIT (the single-run method), on the first run of each side, with
its default rules and with the same tight rules.

Power: a regressed simulator (CASES) as the candidate, ``run --repeat N``, against each
pair's baseline; a trial detects the regression when the case's rule fails. Accuracy: 200
golden items answered `--rounds` times a side by a simulator right with probability 0.90
(baseline) or 0.85 (candidate), gated with the accuracy rule of examples/gates.yaml.

Usage: python benchmarks/bench_gate.py [--pairs 20] [--calibration-runs 5] [--repeats 5]
       [--rounds 5] [--duration 4] [--jitter-ms 5] [--cases aa,ttft,tpot,throughput,accuracy]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OLD_COMMIT = "4ac0440"  # the last commit with the single-run gate
BASE_SIM = {"ttft_ms": 100.0, "itl_ms": 10.0, "max_num_seqs": 64}
# Each regressed candidate multiplies these simulator timings; the default rule that must catch it.
CASES: dict[str, tuple[dict[str, float], str]] = {
    "ttft": ({"ttft_ms": 1.2, "jitter_ms": 1.2}, "ttft_ms.p95"),  # +20 % TTFT
    "tpot": ({"itl_ms": 1.2, "jitter_ms": 1.2}, "tpot_ms.p50"),  # +20 % time per output token
    # Every timing x 1/0.85: a closed loop completes 15 % fewer requests per second.
    "throughput": ({"ttft_ms": 1 / 0.85, "itl_ms": 1 / 0.85, "jitter_ms": 1 / 0.85}, "requests_per_s"),
}
TIGHT_RULES = {
    "relative": [
        {"metric": "ttft_ms", "stat": "p95", "max_increase_pct": 2},
        {"metric": "e2e_ms", "stat": "p95", "max_increase_pct": 2},
        {"metric": "requests_per_s", "max_decrease_pct": 2},
    ]
}
ACCURACY_RULES = {"relative": [{"metric": "accuracy", "max_drop_points": 2}]}


def scenario(
    folder: Path, name: str, args: argparse.Namespace, factors: dict[str, float] | None = None
) -> Path:
    timings = {**BASE_SIM, "jitter_ms": args.jitter_ms}
    for key, factor in (factors or {}).items():
        timings[key] *= factor
    spec = {
        "name": name,
        "simulator": {**timings, "seed": 1},
        "workload": {
            "source": {
                "type": "inline",
                "prompts": ["Where is my order?", "Reset my password.", "Cancel my plan."],
            },
            "max_tokens": 16,
            "ignore_eos": True,
            "seed": 1,
        },
        "load": {"profile": {"type": "concurrency", "users": 16}, "duration_s": args.duration, "warmup_s": 1},
        "publish": {"exporter": {"enabled": False}},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )


def last_line(done: subprocess.CompletedProcess[str]) -> Path:
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr[-2000:])
    return Path(done.stdout.strip().splitlines()[-1])


def run_group(scenario_path: Path, repeats: int, out: Path, hog: bool = False) -> Path:
    hog_process = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if hog else None
    try:
        return last_line(
            cli("run", str(scenario_path), "--repeat", str(repeats), "--out", str(out), "--quiet")
        )
    finally:
        if hog_process is not None:
            hog_process.kill()
            hog_process.wait()


def gate(
    baseline: str, candidate: Path, baselines: Path, out: Path, rules: Path | None = None
) -> dict[str, Any]:
    args = ["gate", "--baseline", baseline, "--candidate", str(candidate), "--baselines-dir", str(baselines)]
    done = cli(*args, "--out", str(out), *(["--rules", str(rules)] if rules else []))
    if done.returncode == 2:
        return {"exit": 2, "error": done.stderr.strip().splitlines()[-1], "results": []}
    report = json.loads((out / "gate.json").read_text(encoding="utf-8"))
    return {"exit": done.returncode, "results": report["results"]}


def old_gate(old_tree: Path, baseline: Path, candidate: Path, rules: dict[str, Any] | None) -> dict[str, str]:
    """The single-run gate as it was (OLD_COMMIT), one run a side: {rule name: status}."""
    code = (
        "import json, sys; import harness; assert harness.__file__.startswith(sys.argv[1]), harness.__file__;"
        "from harness.config.gate import GateRules; from harness.gate import evaluate, load_run_data;"
        "rules = GateRules.model_validate(json.loads(sys.argv[4])) if sys.argv[4] != 'null' else GateRules();"
        "report = evaluate(rules, load_run_data(sys.argv[2], 'b'), load_run_data(sys.argv[3], 'c'));"
        "print(json.dumps({r.name: r.status for r in report.results}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(old_tree), str(baseline), str(candidate), json.dumps(rules)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(old_tree), "PATH": "/usr/bin:/bin"},
        cwd=old_tree,  # not the repository, whose harness package would be imported instead
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return dict(json.loads(done.stdout))


def first_run(group: Path) -> Path:
    return sorted(p for p in group.iterdir() if p.is_dir() and (p / "records.parquet").is_file())[0]


def aa_pairs(args: argparse.Namespace, work: Path, old_tree: Path | None) -> list[dict[str, Any]]:
    baselines = work / "baselines"
    path = scenario(work, "aa", args)
    tight_rules = work / "tight.yaml"
    tight_rules.write_text(yaml.safe_dump(TIGHT_RULES), encoding="utf-8")
    rows = []
    for pair in range(args.pairs):
        hog = pair >= args.pairs // 2
        calibrated = cli(
            "gate", "calibrate", str(path), "--runs", str(args.calibration_runs), "--name", f"pair-{pair}",
            "--out", str(work / "runs"), "--quiet", "--baselines-dir", str(baselines),
        )  # fmt: skip
        baseline_dir = last_line(calibrated)
        candidate = run_group(path, args.repeats, work / "runs", hog=hog)
        verdict = gate(f"pair-{pair}", candidate, baselines, work / f"gate-aa-{pair}")
        tight = gate(f"pair-{pair}", candidate, baselines, work / f"gate-aa-tight-{pair}", tight_rules)
        row: dict[str, Any] = {
            "pair": pair,
            "hog": hog,
            "replaced": calibrated.stderr.count("replaced an outlier run"),
            "exit": verdict["exit"],
            "failed": [r["metric"] for r in verdict["results"] if r["status"] == "fail"],
            "ratios": {r["metric"]: r["estimate"] for r in verdict["results"]},
            "error": verdict.get("error"),
            "tight_exit": tight["exit"],
            "tight_error": tight.get("error"),
        }
        if old_tree is not None:
            b, c = first_run(baseline_dir), first_run(candidate)
            old = old_gate(old_tree, b, c, None)
            tight = old_gate(old_tree, b, c, TIGHT_RULES)
            row["old_failed"] = [name for name, status in old.items() if status == "fail"]
            row["old_tight_failed"] = [name for name, status in tight.items() if status == "fail"]
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def power(case: str, args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    factors, metric = CASES[case]
    path = scenario(work, case, args, factors)
    rows = []
    for trial in range(args.pairs):
        candidate = run_group(path, args.repeats, work / "runs")
        verdict = gate(f"pair-{trial}", candidate, work / "baselines", work / f"gate-{case}-{trial}")
        target = next((r for r in verdict["results"] if r["metric"] == metric), None)
        row = {
            "case": case,
            "trial": trial,
            "exit": verdict["exit"],
            "detected": target is not None and target["status"] == "fail",
            "ratio": target["estimate"] if target else None,
            "ci": [target["ci_low"], target["ci_high"]] if target else None,
            "error": verdict.get("error"),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def golden_side(folder: Path, golden_set: Any, accuracy: float, seed: int, rounds: int) -> Path:
    from harness.golden.results import write_results
    from harness.golden.runner import run_golden
    from harness.golden.transport import EndpointSettings, RetryPolicy
    from harness.sim.config import SimConfig
    from harness.sim.process import SimProcess

    cfg = SimConfig(
        golden_files=(str(golden_set.path),), golden_accuracy=accuracy, seed=seed, ttft_ms=2.0, itl_ms=0.5
    )
    with SimProcess(cfg) as server:
        settings = EndpointSettings(base_url=server.base_url, model=cfg.model)
        for round_index in range(rounds):
            output = run_golden([golden_set], settings, concurrency=16, policy=RetryPolicy(backoff_s=0.01))
            (folder / f"golden-{round_index + 1}").mkdir(parents=True)
            write_results(folder / f"golden-{round_index + 1}", output.rows)
    return folder


def accuracy_power(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from harness.golden.dataset import load_set

    items = [
        {
            "id": f"q{i:03d}",
            "messages": [{"role": "user", "content": f"Ticket {i}: which queue handles it?"}],
            "expected": f"queue-{i % 7}",
        }
        for i in range(200)
    ]
    set_path = work / "quality.jsonl"
    set_path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    golden_set = load_set(set_path)
    rules = work / "accuracy.yaml"
    rules.write_text(yaml.safe_dump(ACCURACY_RULES), encoding="utf-8")
    rows = []
    for trial in range(args.pairs):
        base = golden_side(work / f"acc-{trial}-b", golden_set, 0.90, 2 * trial + 1, args.rounds)
        cand = golden_side(work / f"acc-{trial}-c", golden_set, 0.85, 2 * trial + 2, args.rounds)
        verdict = gate(str(base), cand, work / "baselines", cand, rules)
        (result,) = verdict["results"]
        row = {
            "case": "accuracy",
            "trial": trial,
            "detected": result["status"] == "fail",
            "drop_points": result["estimate"],
            "ci": [result["ci_low"], result["ci_high"]],
            "p": result["p_value"],
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def old_tree_of(work: Path) -> Path | None:
    target = work / "old"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_COMMIT, "harness"], capture_output=True)
    if archive.returncode != 0:
        print(f"no old method: git archive {OLD_COMMIT} failed", file=sys.stderr)
        return None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--calibration-runs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0, help="simulator jitter of every gap")
    parser.add_argument("--cases", default="aa,ttft,tpot,throughput,accuracy")
    args = parser.parse_args()
    cases = args.cases.split(",")
    started = time.time()
    results: dict[str, Any] = {"settings": vars(args)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "aa" in cases:
            results["aa"] = aa_pairs(args, work, old_tree_of(work))
        for case in (c for c in cases if c in CASES):
            results[case] = power(case, args, work)
        if "accuracy" in cases:
            results["accuracy"] = accuracy_power(args, work)
    results["minutes"] = (time.time() - started) / 60
    print(json.dumps(summarise(results), indent=2))
    return 0


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"settings": results["settings"], "minutes": round(results["minutes"], 1)}
    if "aa" in results:
        aa = results["aa"]
        for label, chosen in (
            ("quiet", [r for r in aa if not r["hog"]]),
            ("cpu_hog", [r for r in aa if r["hog"]]),
        ):
            out[f"aa_{label}"] = {
                "pairs": len(chosen),
                "failed": sum(r["exit"] == 1 for r in chosen),
                "refused": sum(r["exit"] == 2 for r in chosen),
                "tight_failed": sum(r["tight_exit"] == 1 for r in chosen),
                "tight_refused": sum(r["tight_exit"] == 2 for r in chosen),
                "old_failed": sum(bool(r.get("old_failed")) for r in chosen),
                "old_tight_failed": sum(bool(r.get("old_tight_failed")) for r in chosen),
                "calibration_runs_replaced": sum(r["replaced"] for r in chosen),
            }
    for case in [*CASES, "accuracy"]:
        if case in results:
            rows = results[case]
            key = "drop_points" if case == "accuracy" else "ratio"
            effects = [r[key] for r in rows if r.get(key) is not None]
            out[case] = {
                "trials": len(rows),
                "detected": sum(r["detected"] for r in rows),
                "median_effect": float(np.median(effects)) if effects else None,
            }
    return out


if __name__ == "__main__":
    sys.exit(main())
