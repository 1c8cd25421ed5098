"""Helpers for the drift tests: two weeks of synthetic logs, and the drift command."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from harness.cli.drift import app
from harness.drift.synth import CONFIG_FILE, generate_logs

MONDAY = date(2025, 1, 6)


@dataclass(frozen=True)
class WeekPair:
    reference: Path  # week 1, profile "none"
    current: Path  # week 2, the profile under test
    config: Path


def week_pair(folder: Path, profile: str, requests_per_week: int = 2000, seed: int = 11) -> WeekPair:
    files = generate_logs(folder, 2, MONDAY, {2: profile}, requests_per_week, seed)
    return WeekPair(files[0], files[1], folder / CONFIG_FILE)


def drift(*args: str | Path) -> Result:
    """Run ``slm-harness drift ARGS``; user mistakes surface as the raised ConfigError."""
    return CliRunner().invoke(app, [str(a) for a in args])


@dataclass(frozen=True)
class Report:
    json: dict[str, Any]
    markdown: str

    def feature(self, name: str) -> dict[str, Any]:
        return next(f for f in self.json["features"] if f["feature"] == name)

    @property
    def drifted(self) -> list[str]:
        return [f["feature"] for f in self.json["features"] if f["drifted"]]


def read_report(out: Path) -> Report:
    assert (out / "drift.html").stat().st_size > 100_000  # Evidently's report, plots included
    return Report(json.loads((out / "drift.json").read_text()), (out / "drift.md").read_text())
