"""The ``compare`` block of a multi-target run's summary, and its compare files.

Each target's block gets its model and its own cost (the target's ``cost:`` prices over the
run's window); the ``compare`` block says how the targets were loaded, how every target's
metrics, answers and golden accuracy compare with the reference (the primary, or the first
target), and, in shadow mode, whether mirroring disturbed the primary's measurements: the
primary's schedule lag and the client's CPU are checked, and mirrors dropped are counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.analysis.cost import cost_summary
from harness.analysis.health import CLIENT_CPU_SATURATED_S, SCHEDULE_LAG_OVERLOAD_MS
from harness.compare.accuracy import ANSWERS_FILE, item_correct, score_answers
from harness.compare.result import compare_sides
from harness.compare.sides import Side, Unit, split_repeats
from harness.config.scenario import Scenario
from harness.config.targets import SHADOW, TargetEndpoint
from harness.records.store import read_records


def run_comparison(
    summary: dict[str, Any],
    run_dir: Path,
    scenario: Scenario,
    specs: Mapping[str, TargetEndpoint],
    models: Mapping[str, str],
    shadow_stats: dict[str, Any],
) -> dict[str, Any]:
    """``targets`` (with model and cost) and ``compare`` for the summary; writes answers.parquet
    (when the scenario has an answer key) and compare.json / compare.md / compare.html."""
    from harness.compare.outputs import write_outputs

    records = read_records(run_dir)
    answers = None
    if scenario.compare.golden:
        answers = score_answers(records, list(scenario.compare.golden))
        answers.to_parquet(run_dir / ANSWERS_FILE, index=False)
    blocks = []
    for block in summary["targets"]:
        name = block["name"]
        spec = specs[name]
        cost = cost_summary(
            spec.cost.model_dump() if spec.cost is not None else None,
            block["window"]["seconds"],
            block["requests"]["completed"],
            block["tokens"]["output_total"] or 0,
            block["tokens"]["input_total"] or 0,
            None,
        )
        blocks.append({**block, "model": models.get(name, ""), "cost": cost})
    sides = []
    for block in blocks:
        rows = records[records["target"] == block["name"]]
        mine = answers[(answers["target"] == block["name"])] if answers is not None else None
        correct = item_correct(mine) if mine is not None and not mine.empty else None
        unit = Unit(
            {**block, "run": {**summary["run"], "endpoint": block["name"], "model": block["model"]}}, rows
        )
        sides.append(Side(block["name"], split_repeats(unit), correct, [run_dir], target=block["name"]))
    result = compare_sides(sides)
    write_outputs(result, sides, run_dir)
    compare = {
        "mode": scenario.compare.mode,
        "fanout": scenario.compare.fanout if scenario.compare.mode != SHADOW else None,
        "reference": blocks[0]["name"],
        "targets": [
            {"name": b["name"], "model": b["model"], "role": _role(i, scenario)} for i, b in enumerate(blocks)
        ],
        "effects": {
            metric["key"]: {
                entry["label"]: {k: entry.get(k) for k in ("ratio", "interval", "noise")}
                for entry in metric["sides"][1:]
            }
            for metric in result["metrics"]
        },
        "agreement": result["agreement"],
        "accuracy": result["accuracy"],
        "golden_accuracy": {s["label"]: s["accuracy"] for s in result["sides"] if s["accuracy"] is not None},
        "warnings": [],
    }
    if scenario.compare.mode == SHADOW:
        compare["shadow"] = shadow_check(blocks[0], summary, shadow_stats)
        compare["warnings"] += compare["shadow"]["warnings"]
    return {"targets": blocks, "compare": compare}


def _role(index: int, scenario: Scenario) -> str:
    if scenario.compare.mode == SHADOW:
        return "primary" if index == 0 else "shadow"
    return "reference" if index == 0 else "variant"


def shadow_check(primary: dict[str, Any], summary: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """Did mirroring disturb the primary? Its schedule lag, the client's CPU, dropped mirrors."""
    lag = primary["latency"]["schedule_lag_ms"]
    cpu = summary.get("extra", {}).get("client_cpu", {})
    warnings = []
    if lag["p99"] is not None and lag["p99"] > SCHEDULE_LAG_OVERLOAD_MS:
        warnings.append(
            f"mirroring made the client fall behind: the primary's p99 schedule lag is {lag['p99']:.0f} ms "
            f"(> {SCHEDULE_LAG_OVERLOAD_MS:.0f} ms); its latencies include client delay"
        )
    if cpu.get("saturated_s", 0.0) >= CLIENT_CPU_SATURATED_S:
        warnings.append(
            f"the client's CPU was saturated for {cpu['saturated_s']:.0f} s while mirroring: "
            "the primary's timings may include client delay; add load workers or fewer shadows"
        )
    if stats.get("dropped"):
        warnings.append(
            f"{stats['dropped']} mirrors were dropped (more than compare.shadow_max_in_flight shadow "
            "requests in flight): the shadows saw less traffic than the primary"
        )
    return {
        **stats,
        "primary_schedule_lag_ms": {k: lag[k] for k in ("p50", "p99", "max")},
        "client_cpu": cpu,
        "warnings": warnings,
    }
