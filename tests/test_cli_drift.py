"""`slm-harness drift` on the console: log lines it had to skip are counted there, with the first
one and where the list is, not only inside the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.app import run_app
from tests._drift_fixtures import week_pair


def test_skipped_log_lines_are_counted_on_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = week_pair(tmp_path / "logs", "none", requests_per_week=300)
    with pair.current.open("a", encoding="utf-8") as log:
        log.write('{"not": "a request"}\n' * 3 + "not json at all\n")
    lines = len(pair.current.read_text().splitlines())
    out = tmp_path / "report"
    args = ["drift", "--reference", pair.reference, "--current", pair.current, "--config", pair.config]
    assert run_app([*map(str, args), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if "skipped as invalid" in line]
    assert len(notes) == 1, err  # the reference has no bad line, so it gets no note
    assert notes[0].startswith(f"current: 4 of {lines} log lines skipped as invalid (first: {pair.current}:")
    assert notes[0].endswith(f"listed in {out / 'drift.json'} under log_quality")
    quality = json.loads((out / "drift.json").read_text())["log_quality"]["current"]
    assert quality["invalid_lines"] == 4 and len(quality["invalid_examples"]) == 4
