"""`--set` and the exporter options on the real command line: the effective scenario is what the
run directory's scenario.yaml records, and a mistake stops the run before anything starts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from harness.cli.app import run_app
from tests._golden_fixtures import grouped_set
from tests._load_helpers import cli, summary_of


def test_set_changes_the_run_and_scenario_yaml_records_it(tmp_path: Path) -> None:
    proc = cli(
        "run", "smoke", "--out", str(tmp_path / "runs"), "--quiet", "--duration", "3",
        "--set", "load.warmup_s=0", "--set", "load.profile.users=2", "--set", "simulator.ttft_ms=5",
        "--set", "slo.ttft_ms=123", "--set", "workload.source.prompts=[Only this prompt.]",
        "--set", "publish.exporter.port=0",
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    recorded = yaml.safe_load((run_dir / "scenario.yaml").read_text())
    assert recorded["name"] == "smoke"  # the shipped scenario, found by name
    assert recorded["load"]["duration_s"] == 3 and recorded["load"]["warmup_s"] == 0
    assert recorded["load"]["profile"] == {"type": "concurrency", "users": 2}
    assert recorded["simulator"]["ttft_ms"] == 5 and recorded["slo"]["ttft_ms"] == 123
    assert recorded["workload"]["source"]["prompts"] == ["Only this prompt."]
    summary = summary_of(run_dir)
    assert summary["goodput"]["slos"]["ttft_ms"] == 123
    assert summary["concurrency"]["peak"] <= 2 and summary["requests"]["completed"] > 0
    # Port 0: the exporter's real port is on the console, not only in harness.log.
    printed = re.findall(r"^live metrics: http://127\.0\.0\.1:(\d+)/metrics$", proc.stderr, re.MULTILINE)
    assert len(printed) == 1 and int(printed[0]) not in (0, 9464)
    assert f":{printed[0]}/metrics" in (run_dir / "harness.log").read_text()


def test_no_exporter_is_recorded_and_prints_no_url(tmp_path: Path) -> None:
    proc = cli(
        "run", "smoke", "--out", str(tmp_path / "runs"), "--quiet", "--duration", "1",
        "--set", "load.warmup_s=0", "--no-exporter", timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    assert yaml.safe_load((run_dir / "scenario.yaml").read_text())["publish"]["exporter"]["enabled"] is False
    assert "live metrics:" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "load.profile.users=0"], ["(--set load.profile.users): load.profile.users:", "≥ 1"]),
        (["--set", "load.profile.usrs=3"], ["(--set load.profile.usrs)", "did you mean 'users'?"]),
        (["--exporter-port", "-1"], ["(--exporter-port): publish.exporter.port:", "--no-exporter"]),
        (["--set", "publish.exporter.port=70000"], ["publish.exporter.port: is not a port number"]),
        (["--exporter-port", "9000", "--no-exporter"], ["--no-exporter: contradicts --exporter-port"]),
        (["--set", "sk-live-0123456789"], ["--set: needs KEY=VALUE"]),
    ],
)
def test_a_mistake_is_one_line_exit_2_and_nothing_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: list[str]
) -> None:
    code = run_app(["run", "smoke", "--out", str(tmp_path / "runs"), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("slm-harness: error: "), err
    for word in words:
        assert word in lines[0]
    assert "sk-live-0123456789" not in err
    assert not (tmp_path / "runs").exists()


def test_golden_run_takes_simulator_and_endpoint_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden_set = grouped_set(tmp_path, n=30, groups=3)
    code = run_app(
        [
            "golden", "run", str(golden_set.path), "--out", str(tmp_path / "runs"), "--quiet",
            "--set", "simulator.golden_accuracy_by_tag={g1: 0.0}",
            "--set", "endpoint.stream=true",
            "--set", "endpoint.retries.max_attempts=1",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads((Path(captured.out.strip().splitlines()[-1]) / "summary.json").read_text())
    assert (summary["golden"]["scored"], summary["golden"]["correct"]) == (30, 20)  # every g1 item wrong
    assert summary["latency"]["ttft_ms"]["count"] == 30  # endpoint.stream=true: streamed, TTFT measured


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "endpoint.api=completions"], ["golden run (--set endpoint.api): endpoint.api:", "YAML"]),
        (["--set", "simulator.golden_accuracy=2"], ["(--set simulator.golden_accuracy)", "≤ 1.0"]),
        (["--set", "load.duration_s=3"], ["golden run (--set load.duration_s): load:", "not a known field"]),
    ],
)
def test_golden_run_set_mistakes_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: list[str]
) -> None:
    golden_set = grouped_set(tmp_path, n=3, groups=1)
    code = run_app(["golden", "run", str(golden_set.path), "--out", str(tmp_path / "runs"), *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "runs").exists()
