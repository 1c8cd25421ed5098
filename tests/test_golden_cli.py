"""`slm-harness golden run` from the command line: the simulator by default, run directories, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.app import run_app
from tests._golden_fixtures import grouped_set
from tests.support_prometheus import pushgateway


def test_without_an_endpoint_the_simulator_answers_and_a_run_directory_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden_set = grouped_set(tmp_path, n=30, groups=3)
    with pushgateway(tmp_path) as gateway:
        code = run_app(
            [
                "golden",
                "run",
                str(golden_set.path),
                "--out",
                str(tmp_path / "runs"),
                "--stream",
                "--pushgateway",
                gateway.url,
            ]
        )
        metrics = gateway.metrics_text()
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "no --endpoint: asking the built-in simulator" in captured.err
    run_dir = Path(captured.out.strip().splitlines()[-1])
    assert sorted(p.name for p in run_dir.iterdir()) == ["golden.parquet", "records.parquet", "summary.json"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["golden"]["accuracy"], summary["golden"]["scored"]) == (1.0, 30)
    assert summary["latency"]["ttft_ms"]["count"] == 30  # streamed: TTFT measured per request
    accuracy = [line for line in metrics.splitlines() if line.startswith("slm_golden_accuracy_ratio{")]
    assert len(accuracy) == 1 and 'golden_set="quality"' in accuracy[0] and accuracy[0].endswith(" 1")
    items = [line for line in metrics.splitlines() if line.startswith("slm_golden_items_total{")]
    assert sorted(line.rsplit(" ", 1)[1] for line in items) == ["0", "0", "30"]
    assert f'run_id="{run_dir.name}"' in metrics


def test_an_unreachable_endpoint_scores_nothing_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden_set = grouped_set(tmp_path, n=3, groups=1)
    args = ["golden", "run", str(golden_set.path), "--endpoint", "http://127.0.0.1:9", "--model", "m"]
    assert run_app([*args, "--out", str(tmp_path / "runs"), "--max-attempts", "2"]) == 1
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    golden = json.loads((run_dir / "summary.json").read_text())["golden"]
    assert (golden["scored"], golden["transport_errors"], golden["errors_by_kind"]) == (0, 3, {"connect": 3})


def test_an_api_key_variable_that_is_not_set_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    golden_set = grouped_set(tmp_path, n=1, groups=1)
    args = [
        "golden",
        "run",
        str(golden_set.path),
        "--endpoint",
        "http://127.0.0.1:9",
        "--api-key-env",
        "NO_SUCH_KEY",
    ]
    assert run_app(args) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "slm-harness: error: golden run: endpoint.api_key_env: environment variable NO_SUCH_KEY is not set"
        " — fix: export NO_SUCH_KEY=<your key>, or remove endpoint.api_key_env"
    )
