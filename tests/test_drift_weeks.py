"""Weekly mode picks the right ISO weeks, across year boundaries and 53-week years."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from harness.cli.drift import app
from harness.config.errors import ConfigError
from harness.drift.synth import generate_logs
from harness.drift.weeks import IsoWeek, choose_weeks, week_labels

REPO = Path(__file__).resolve().parent.parent


def test_iso_week_facts() -> None:
    assert IsoWeek.of(datetime(2024, 12, 30, tzinfo=UTC)) == IsoWeek(2025, 1)  # Monday of 2025-W01
    assert IsoWeek.of(datetime(2024, 12, 29, 23, 59, tzinfo=UTC)) == IsoWeek(2024, 52)
    assert IsoWeek(2025, 1).previous() == IsoWeek(2024, 52)
    assert IsoWeek(2027, 1).previous() == IsoWeek(2026, 53)  # 2026 has 53 ISO weeks
    assert IsoWeek(2026, 53).start == datetime(2026, 12, 28, tzinfo=UTC)
    assert IsoWeek.parse("2025w03") == IsoWeek(2025, 3) and IsoWeek(2025, 3).label == "2025-W03"
    with pytest.raises(ValueError, match="2025 has no ISO week 53"):
        IsoWeek.parse("2025-W53")
    with pytest.raises(ValueError, match="not an ISO week"):
        IsoWeek.parse("2025-03")
    stamps = pd.Series(
        pd.to_datetime(["2024-12-29T23:59:59Z", "2024-12-30T00:00:00Z", "2027-01-03T12:00:00Z"])
    )
    assert week_labels(stamps).tolist() == ["2024-W52", "2025-W01", "2026-W53"]


def test_choice_rules() -> None:
    labels = pd.Series(["2024-W51", "2024-W52", "2025-W01", "2025-W02"])
    as_of = datetime(2025, 1, 8, tzinfo=UTC)  # a Wednesday: 2025-W02 is still running
    choice = choose_weeks(labels, as_of)
    assert (choice.reference, choice.current) == (IsoWeek(2024, 52), IsoWeek(2025, 1))
    assert choice.notes == ["left out 2025-W02: not over as of 2025-01-08 00:00 UTC"]
    pinned = choose_weeks(labels, as_of, reference=IsoWeek(2024, 51))
    assert (pinned.reference, pinned.current) == (IsoWeek(2024, 51), IsoWeek(2025, 1))
    with pytest.raises(ConfigError, match=r"--current-week: 2025-W02 is not over as of 2025-01-08"):
        choose_weeks(labels, as_of, current=IsoWeek(2025, 2))
    with pytest.raises(
        ConfigError, match=r"--reference-week: no logs in the week before 2024-W51 \(2024-W50\)"
    ):
        choose_weeks(labels, as_of, current=IsoWeek(2024, 51))
    with pytest.raises(ConfigError, match="no complete ISO week"):
        choose_weeks(pd.Series(["2025-W02"]), as_of)


def _weekly(tmp_path: Path, logs: Path, *args: str) -> dict:
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["weekly", str(logs), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(out)  # the output folder, last line
    return json.loads((out / "drift.json").read_text())


def test_weekly_mode_across_new_year_leaves_out_the_running_week(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    # Six 7-day blocks from Monday 2024-12-02: 2024-W49 .. 2025-W02 (2025-01-06 to 01-12).
    generate_logs(logs, weeks=6, start=date(2024, 12, 2), requests_per_week=300, seed=5)
    report = _weekly(tmp_path, logs, "--as-of", "2025-01-08T12:00")
    assert (report["reference"]["week"], report["current"]["week"]) == ("2024-W52", "2025-W01")
    assert (report["reference"]["rows"], report["current"]["rows"]) == (300, 300)
    assert report["reference"]["start"] >= "2024-12-23" and report["reference"]["end"] < "2024-12-30"
    assert report["current"]["start"] >= "2024-12-30" and report["current"]["end"] < "2025-01-06"
    assert [w["week"] for w in report["weekly_trend"]] == [
        "2024-W49",
        "2024-W50",
        "2024-W51",
        "2024-W52",
        "2025-W01",
    ]
    assert all(w["requests"] == 300 for w in report["weekly_trend"])
    assert "left out 2025-W02: not over as of 2025-01-08 12:00 UTC" in report["notes"]


def test_weekly_mode_in_a_53_week_year_and_with_a_pinned_reference(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    # 2026-12-14 .. 2027-01-10: 2026-W51, W52, W53 and 2027-W01.
    generate_logs(logs, weeks=4, start=date(2026, 12, 14), requests_per_week=300, seed=6)
    report = _weekly(tmp_path, logs, "--as-of", "2027-01-11")
    assert (report["reference"]["week"], report["current"]["week"]) == ("2026-W53", "2027-W01")
    pinned = _weekly(tmp_path, logs, "--as-of", "2027-01-11", "--reference-week", "2026-W51")
    assert (pinned["reference"]["week"], pinned["current"]["week"]) == ("2026-W51", "2027-W01")
    assert pinned["reference"]["start"].startswith("2026-12-14")


def test_the_ci_schedule_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workflow = yaml.safe_load((REPO / "examples" / "drift-weekly.yml").read_text())
    assert workflow[True]["schedule"] == [{"cron": "0 6 * * 1"}]  # YAML 1.1 reads the key `on` as True
    steps = {step.get("name"): step for step in workflow["jobs"]["drift"]["steps"]}
    command = shlex.split(steps["Weekly drift report"]["run"])
    assert command[:3] == ["slm-harness", "drift", "weekly"]
    assert steps["Publish the report"]["with"]["path"] == "drift-report/"
    assert steps["Publish the report"]["if"] == "always()"  # the report is kept when drift fails the job

    monkeypatch.chdir(tmp_path)
    generate_logs(
        Path("logs"), weeks=3, start=date(2025, 1, 6), profile_by_week={3: "slower"}, requests_per_week=500
    )
    Path("drift.yaml").write_text(Path("logs/drift-config.yaml").read_text())
    args = [arg.replace("$PUSHGATEWAY_URL", "http://127.0.0.1:9") for arg in command[2:]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1  # --fail-on-drift: latency drifted
    report = json.loads(Path("drift-report/drift.json").read_text())
    assert report["current"]["week"] == "2025-W04" and {"ttft_s", "tpot_s"} <= {
        f["feature"] for f in report["features"] if f["drifted"]
    }
    assert Path("drift-report/drift.html").exists() and Path("drift-report/drift.md").exists()
