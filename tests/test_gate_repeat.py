"""Repeated runs from the command line against the simulator: `run --repeat`, the group
summary, `gate calibrate`, baselines of several runs, and gates over groups."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.cli.app import run_app
from harness.records.store import read_records

SCENARIO = """\
description: repeated runs
simulator: {ttft_ms: 40, itl_ms: 4, jitter_ms: 10, seed: 3}
workload:
  source: {type: inline, prompts: ["Where is my order?", "Reset my password."]}
  max_tokens: 8
  seed: 5
load:
  profile: {type: concurrency, users: 4}
  duration_s: 2.5
  warmup_s: 0.5
publish: {exporter: {enabled: false}}
"""


def last_line(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("repeat") / "repeat.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def group(scenario: Path) -> Path:
    out = scenario.parent / "runs"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = run_app(["run", str(scenario), "--repeat", "2", "--out", str(out), "--quiet"])
    assert code == 0
    return Path(stdout.getvalue().strip().splitlines()[-1])


def test_repeat_writes_one_run_per_repetition_and_a_group_summary(group: Path) -> None:
    runs = sorted(p for p in group.iterdir() if p.is_dir())
    assert len(runs) == 2 and {"summary.json", "report.html", "scenario.yaml"} <= {
        p.name for p in group.iterdir()
    }
    summary = json.loads((group / "summary.json").read_text(encoding="utf-8"))
    blocks = {block["dir"]: block for block in summary["repeats"]["runs"]}
    frames, delivered = [], 0
    for run in runs:
        records = read_records(run)
        (index,) = set(records["repeat"])  # every record carries its repetition's index
        block = blocks[run.name]
        assert block["repeat"] == index
        # Repetitions sample independently: seeds move with the index.
        assert f"seed: {5 + index}" in (run / "scenario.yaml").read_text(encoding="utf-8")
        # Each repetition's block is the summary function on its records: the run's own summary.
        own = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        for key in ("latency", "throughput", "requests", "errors", "window"):
            assert block["summary"][key] == own[key], key
        frames.append(records)
        # Delivered: successes whose response ended inside the run's own window, sent in any phase.
        window = own["window"]
        done = records["sent_at"] + records["e2e_s"]
        delivered += int((records["ok"] & (done >= window["start"]) & (done <= window["end"])).sum())
    pooled = pd.concat(frames)
    measured_ok = pooled[(pooled["phase"] == "measure") & pooled["ok"]]
    assert summary["requests"]["completed"] == len(measured_ok)
    assert summary["latency"]["ttft_ms"]["p95"] == pytest.approx(
        np.percentile(measured_ok["ttft_s"], 95) * 1000
    )
    windows = sum(b["summary"]["window"]["seconds"] for b in blocks.values())
    assert summary["window"]["seconds"] == pytest.approx(windows)
    assert summary["throughput"]["requests_per_s"] == pytest.approx(delivered / windows)
    assert summary["concurrency"]["peak"] == max(b["summary"]["concurrency"]["peak"] for b in blocks.values())
    spread = summary["repeats"]["spread"]["latency.ttft_ms.p95"]
    assert spread["min"] <= spread["mean"] <= spread["max"]


def test_a_group_gated_against_itself_covers_runs(
    group: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["gate", "--baseline", str(group), "--candidate", str(group), "--out", str(tmp_path)]
    assert run_app(args) == 0
    assert last_line(capsys) == "gate passed"
    report = json.loads((tmp_path / "gate.json").read_text(encoding="utf-8"))
    ttft = next(r for r in report["results"] if r["metric"] == "ttft_ms.p95")
    assert (
        ttft["estimate"] == pytest.approx(1.0)
        and ttft["covers"] == "runs (2 + 2) and the requests within them"
    )
    markdown = (tmp_path / "gate.md").read_text(encoding="utf-8")
    assert "| Effect (interval) | p | Threshold | Noise floor | Covers | Result |" in markdown
    assert "not calibrated" in markdown


def test_calibrate_stores_floors_with_the_baseline_and_refuses_tighter_rules(
    scenario: Path, tmp_path: Path, group: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "baselines"
    args = ["gate", "calibrate", str(scenario), "--runs", "2", "--name", "main", "--quiet"]
    assert run_app([*args, "--out", str(tmp_path / "runs"), "--baselines-dir", str(store)]) == 0
    captured = capsys.readouterr()
    assert "Noise floors from 2 A/A runs" in captured.err and "ttft_ms.p95" in captured.err
    baseline = Path(captured.out.strip().splitlines()[-1])
    assert baseline == store / "main"
    noise = json.loads((baseline / "noise.json").read_text(encoding="utf-8"))
    assert noise["runs"] == 2 and noise["metrics"]["ttft_ms.p95"]["df"] == 1
    assert len([p for p in baseline.iterdir() if p.is_dir()]) == 2

    rules = tmp_path / "tight.yaml"
    rules.write_text("relative:\n  - {metric: ttft_ms, stat: p95, max_increase_pct: 0.1}\n", encoding="utf-8")
    gate = ["gate", "--baseline", "main", "--baselines-dir", str(store), "--candidate", str(group)]
    assert run_app([*gate, "--rules", str(rules)]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "Traceback" not in error
    assert error.startswith(f"slm-harness: error: {rules}: relative[0].max_increase_pct: 0.1 is tighter than")
    assert "noise floor of ttft_ms.p95" in error and "for 2 baseline and 2 candidate run(s)" in error

    # Promoting a single run under the same name keeps the calibrated floors.
    one_run = next(p for p in group.iterdir() if p.is_dir())
    promote = [
        "baseline",
        "promote",
        str(one_run),
        "--name",
        "main",
        "--replace",
        "--baselines-dir",
        str(store),
    ]
    assert run_app(promote) == 0
    assert "kept the noise floors" in capsys.readouterr().err
    assert (store / "main" / "noise.json").read_text(encoding="utf-8") == json.dumps(noise, indent=2) + "\n"
    assert run_app(["baseline", "list", "--baselines-dir", str(store)]) == 0
    assert "\t1 run(s), calibrated\t" in capsys.readouterr().out
