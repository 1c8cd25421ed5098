"""Run directories as drift sources: two real load runs against the embedded simulator, the
second under the ``longer-outputs`` drift profile; the report lands in the current run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests._drift_fixtures import drift, read_report

SCENARIO = {
    "simulator": {
        "ttft_ms": 5,
        "itl_ms": 1,
        "jitter_ms": 0,
        "max_num_seqs": 64,
        "output_tokens": 60,
        "seed": 1,
    },
    "workload": {
        "source": {
            "type": "inline",
            "prompts": [
                "Summarise the plot of Hamlet in two sentences.",
                "What is the difference between a process and a thread?",
            ],
        },
        # No max_tokens: the simulator draws each output length, and the profile scales it.
        "max_tokens": None,
        "seed": 7,
    },
    "load": {"profile": {"type": "concurrency", "users": 8}, "duration_s": 4, "warmup_s": 0.5},
    "publish": {"exporter": {"port": 0}},
}


def _load_run(tmp_path: Path, name: str, profile: str) -> Path:
    scenario = yaml.safe_load(yaml.safe_dump(SCENARIO))
    scenario["simulator"]["drift_profile"] = profile
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli.main",
            "run",
            str(path),
            "--out",
            str(tmp_path / "runs"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip().splitlines()[-1])


def _golden(run_dir: Path, correct: int, incorrect: int, transport_errors: int) -> None:
    """golden.parquet as the golden runner writes it (only the columns drift reads matter here)."""
    n = correct + incorrect + transport_errors
    pd.DataFrame(
        {
            "item_id": [f"item-{i}" for i in range(n)],
            "set_name": "support",
            "correct": [True] * correct + [False] * (incorrect + transport_errors),
            "score": [1.0] * correct + [0.0] * (incorrect + transport_errors),
            "error_kind": [None] * (correct + incorrect) + ["http_5xx"] * transport_errors,
        }
    ).to_parquet(run_dir / "golden.parquet")


def test_two_runs_compared_into_the_current_run_directory(tmp_path: Path) -> None:
    reference = _load_run(tmp_path, "base", "none")
    current = _load_run(tmp_path, "longer", "longer-outputs")
    _golden(reference, correct=180, incorrect=20, transport_errors=0)
    _golden(current, correct=140, incorrect=60, transport_errors=10)  # errors are never scored

    result = drift("--reference", reference, "--current", current, "--fail-on-drift")
    assert result.exit_code == 1, result.output
    assert result.stdout.strip().splitlines()[-1] == str(current)  # no --out: the current run
    report = read_report(current)

    tokens = report.feature("output_tokens")
    assert tokens["drifted"] and 20 < tokens["change_pct"] < 40
    assert tokens["n_reference"] > 100 and tokens["n_current"] > 100
    accuracy = report.feature("golden_accuracy")
    assert accuracy["drifted"]
    assert (accuracy["n_reference"], accuracy["n_current"]) == (200, 200)
    assert accuracy["reference_mean"] == 0.9 and accuracy["current_mean"] == 0.7
    assert accuracy["change_points"] == pytest.approx(-20.0)
    # Records keep a prompt id, not the prompt: prompt text features are reported as skipped.
    assert report.json["skipped_features"]["prompt_chars"] == "no values in the reference"
    assert report.json["current"]["rows"] == len(
        pd.read_parquet(current / "records.parquet").query("phase == 'measure'")
    )
    assert "`output_tokens`" in report.markdown and "Golden accuracy fell 20.0 points" in report.markdown
