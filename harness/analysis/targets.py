"""Cutting a run's records by target: a filter per named endpoint of a multi-target run.

Each target's results are the one summary function applied to the records sent to it, over
the run's own window (the targets share the schedule, so they share the window).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pandas as pd

from harness.analysis.meta import RunMeta


def target_frames(records: pd.DataFrame, meta: RunMeta) -> Iterator[tuple[str, pd.DataFrame, RunMeta]]:
    """For each target, in the run's order: its records and its summary meta."""
    for name in meta.targets:
        rows = records[records["target"] == name]
        yield name, rows, replace(meta, endpoint=name, targets=[], extra={})
