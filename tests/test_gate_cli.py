"""`slm-harness baseline` and `slm-harness gate` from the command line: files written and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.app import run_app
from tests._golden_fixtures import golden_run_dir, grouped_set


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gate-cli")
    golden_set = grouped_set(root, n=100)
    return {
        "good": golden_run_dir(golden_set, root / "runs", golden_accuracy_by_tag={"g0": 0.0}),
        "same": golden_run_dir(golden_set, root / "runs", golden_accuracy_by_tag={"g0": 0.0}),
        "worse": golden_run_dir(
            golden_set, root / "runs", golden_accuracy_by_tag={"g0": 0.0, "g1": 0.0, "g2": 0.0}
        ),
    }


def last_err_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    return err.splitlines()[-1]


def test_promote_list_and_gate_by_baseline_name(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "baselines")
    assert (
        run_app(["baseline", "promote", str(runs["good"]), "--name", "main", "--baselines-dir", store]) == 0
    )
    stored = Path(capsys.readouterr().out.strip())
    assert sorted(p.name for p in stored.iterdir()) == [
        "baseline.json",
        "golden.parquet",
        "records.parquet",
        "summary.json",
    ]
    assert json.loads((stored / "baseline.json").read_text())["source"] == str(runs["good"].resolve())
    assert run_app(["baseline", "list", "--baselines-dir", store]) == 0
    assert capsys.readouterr().out.startswith("main\t")

    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    # Golden-only runs are short bursts: gate them on accuracy, not on latency.
    rules = tmp_path / "gates.yaml"
    rules.write_text("relative:\n  - metric: accuracy\n    max_drop_points: 2\n", encoding="utf-8")
    args = ["gate", "--baseline", "main", "--baselines-dir", store, "--rules", str(rules)]
    assert run_app([*args, "--candidate", str(runs["same"])]) == 0
    assert capsys.readouterr().out.strip() == "gate passed"
    assert (runs["same"] / "gate.xml").is_file() and (runs["same"] / "gate.json").is_file()
    assert summary.read_text(encoding="utf-8").startswith("## ✅ slm-harness gate passed")

    out = tmp_path / "gate-out"
    assert run_app([*args, "--candidate", str(runs["worse"]), "--out", str(out)]) == 1
    assert capsys.readouterr().out.strip() == "gate failed (1 of 1 gates)"
    assert json.loads((out / "gate.json").read_text())["passed"] is False


def test_promoting_over_an_existing_name_needs_replace(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["baseline", "promote", str(runs["good"]), "--name", "nightly", "--baselines-dir", str(tmp_path)]
    assert run_app(args) == 0
    assert run_app(args) == 2
    assert last_err_line(capsys).endswith(
        "a baseline of this name exists — fix: pick another name or pass --replace"
    )
    assert run_app([*args, "--replace"]) == 0
    assert (
        run_app(
            ["baseline", "promote", str(runs["good"]), "--name", "../x", "--baselines-dir", str(tmp_path)]
        )
        == 2
    )
    assert "is not a valid baseline name" in last_err_line(capsys)


def test_usage_errors_exit_2_with_one_line(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = ["--candidate", str(runs["same"])]
    assert (
        run_app(["gate", "--baseline", "no-such-baseline", "--baselines-dir", str(tmp_path), *candidate]) == 2
    )
    assert "no-such-baseline: --baseline: is neither a run directory" in last_err_line(capsys)

    rules = tmp_path / "gates.yaml"
    rules.write_text("relative:\n  - metric: ttft_ms\n    max_drop_points: 2\n", encoding="utf-8")
    assert run_app(["gate", "--baseline", str(runs["good"]), *candidate, "--rules", str(rules)]) == 2
    line = last_err_line(capsys)
    assert line.startswith(
        f"slm-harness: error: {rules}: relative[0].max_drop_points: does not apply to metric ttft_ms"
    )

    rules.write_text("absolute:\n  - metric: errors.rate\n    max: 0.01\n    min: 0\n", encoding="utf-8")
    assert run_app(["gate", "--baseline", str(runs["good"]), *candidate, "--rules", str(rules)]) == 2
    assert "absolute[0].max: needs exactly one of max and min" in last_err_line(capsys)


def test_gate_needs_both_sides_and_takes_several_runs_a_side(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["gate", "--candidate", str(runs["same"])]) == 2
    assert last_err_line(capsys) == (
        "slm-harness: error: --baseline: is required — fix: give --baseline NAME_OR_RUN --candidate RUN"
        " (or: slm-harness gate calibrate SCENARIO)"
    )
    store = tmp_path / "baselines"
    promote = ["baseline", "promote", str(runs["good"]), str(runs["same"]), "--name", "two"]
    assert run_app([*promote, "--baselines-dir", str(store)]) == 0
    stored = Path(capsys.readouterr().out.strip())
    assert sorted(p.name for p in stored.iterdir() if p.is_dir()) == [
        f"01-{runs['good'].name}",
        f"02-{runs['same'].name}",
    ]
    rules = tmp_path / "gates.yaml"
    rules.write_text("relative:\n  - metric: accuracy\n    max_drop_points: 2\n", encoding="utf-8")
    gate = ["gate", "--baseline", "two", "--baselines-dir", str(store), "--rules", str(rules)]
    candidates = [
        "--candidate",
        str(runs["worse"]),
        "--candidate",
        str(runs["worse"]),
        "--out",
        str(tmp_path),
    ]
    assert run_app([*gate, *candidates]) == 1
    (accuracy,) = json.loads((tmp_path / "gate.json").read_text(encoding="utf-8"))["results"]
    assert (accuracy["baseline_runs"], accuracy["candidate_runs"]) == (2, 2)
    assert accuracy["covers"] == "items (100 paired; 2 and 2 answers per item, averaged per item)"
