"""``slm-harness telemetry gpu``: the set-up check prints what it sampled, or why it could not."""

from __future__ import annotations

import json
from pathlib import Path

import pynvml
import pytest
from typer.testing import CliRunner

from harness.cli.telemetry import app
from harness.config.errors import ConfigError
from harness.records.rundir import GPU_FILE
from harness.telemetry import nvml
from tests._telemetry_fixtures import FakeNvml, two_gpus


def test_gpu_check_prints_the_summary_and_the_run_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nvml, "lib", FakeNvml(two_gpus()))
    result = CliRunner().invoke(
        app, ["gpu", "--seconds", "0.3", "--interval", "0.05", "--gpu", "1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    run_dir = Path(lines[-1])
    assert run_dir.parent == tmp_path and (run_dir / GPU_FILE).exists()
    summary = json.loads("\n".join(lines[:-1]))
    (only,) = summary["gpus"]
    assert only["gpu"] == "1" and only["power_mean_w"] == 90.5
    # Energy from the first to the last sample: 700 mJ per read after the first.
    assert only["energy_j"] == pytest.approx(0.7 * (only["samples"] - 1))
    assert summary["total"]["j_per_output_token"] is None


def test_gpu_check_without_a_driver_exits_1_with_the_notice(tmp_path: Path) -> None:
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        pass
    else:
        pynvml.nvmlShutdown()
        pytest.skip("a GPU driver is present: the no-driver path cannot happen here")
    result = CliRunner().invoke(app, ["gpu", "--seconds", "0", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "GPU telemetry unavailable: NVML Shared Library Not Found — run continues without it"
    )
    assert list(tmp_path.iterdir()) == []


def test_bad_label_is_a_config_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["gpu", "--source", "dcgm", "--url", "http://x/metrics", "--label", "oops"]
    )
    assert isinstance(result.exception, ConfigError)
    assert (
        str(result.exception) == "--label: 'oops' is not NAME=VALUE — fix: write e.g. --label Hostname=node-3"
    )
