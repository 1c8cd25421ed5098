"""Golden rounds beside a load run: a child process writes golden.parquet into the run directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.golden.alongside import GoldenAlongside, GoldenAlongsideError
from harness.golden.output import section_for
from harness.golden.results import read_results
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._golden_fixtures import grouped_set


def test_rounds_run_for_the_duration_and_land_in_the_run_directory(tmp_path: Path) -> None:
    golden_set = grouped_set(tmp_path, n=20, groups=4)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "summary.json").write_text(json.dumps({"schema_version": 1}), encoding="utf-8")
    cfg = SimConfig(
        golden_files=(str(golden_set.path),), golden_accuracy_by_tag={"g3": 0.0}, ttft_ms=5.0, itl_ms=1.0
    )
    with (
        SimProcess(cfg) as server,
        GoldenAlongside([golden_set.path], server.base_url, cfg.model, run_dir, 2.0, 0.5, 4, delay_s=0.5),
    ):
        pass  # the load run would happen here
    rows = read_results(run_dir)
    rounds = rows["round"].nunique()
    assert 3 <= rounds <= 5 and len(rows) == 20 * rounds
    section = section_for(run_dir)
    assert section is not None
    assert (section["accuracy"], section["sets"]["quality"]["tags"]["g3"]["accuracy"]) == (0.75, 0.0)
    # A summary already written gets the section too.
    assert json.loads((run_dir / "summary.json").read_text())["golden"] == section


def test_a_failing_child_is_reported_with_its_error_line(tmp_path: Path) -> None:
    golden_set = grouped_set(tmp_path, n=4, groups=2)
    with (
        pytest.raises(GoldenAlongsideError, match=r"exit code 2\): .*--into: is not a directory"),
        GoldenAlongside([golden_set.path], "http://127.0.0.1:9", "m", tmp_path / "missing", 1.0, 0.0, 1),
    ):
        pass
