"""Drift of each side's answers against the reference's, through the Evidently drift path.

"The variant answers differently" then reads like a weekly drift report: output length,
structure and keyword features of one side's answers against the other's, with the same
tests, thresholds and files (``drift.html``, ``drift.json``, ``drift.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.compare.sides import Side
from harness.drift.compare import HTML_FILE, compare, write_report
from harness.drift.config import DriftConfig
from harness.drift.sample import Sample
from harness.drift.sources import load_run_dir
from harness.records.record import PHASE_MEASURE
from harness.records.store import read_records


def side_sample(side: Side) -> Sample:
    """The measured requests of a side's first run, only its target's in a multi-target run."""
    run_dir = side.run_dirs[0]
    sample = load_run_dir(run_dir)
    if side.target is None:
        return sample
    records = read_records(run_dir)
    mine = (records.loc[records["phase"] == PHASE_MEASURE, "target"] == side.target).to_numpy()
    frame = sample.frame[mine].reset_index(drop=True)
    return Sample(frame=frame, sources=sample.sources, label=side.label, endpoint=side.target)


def answer_drift(sides: list[Side], config: DriftConfig, out_dir: Path) -> list[dict[str, Any]]:
    """One drift report per side against the first, in ``out_dir/drift-<label>/``."""
    reference = side_sample(sides[0])
    results = []
    for side in sides[1:]:
        folder = out_dir / f"drift-{side.label}"
        folder.mkdir(parents=True, exist_ok=True)
        result = compare(reference, side_sample(side), config, folder / HTML_FILE)
        write_report(result, folder)
        results.append(
            {
                "reference": sides[0].label,
                "other": side.label,
                "drifted": result.detected,
                "drifted_features": [f.feature for f in result.features if f.drifted],
                "report": str(folder / HTML_FILE),
            }
        )
    return results
