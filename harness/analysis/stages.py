"""Cutting a run's records into its load stages: a filter and a window per stage.

Each stage's results are the one summary function applied to the records labelled with its
name, measured over its own window (its warm-up left out, the run's window respected). An
open-loop request belongs to the stage its arrival was scheduled in, like its phase.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.analysis.meta import RunMeta, StageWindow
from harness.records.record import PHASE_COOLDOWN, PHASE_MEASURE, PHASE_WARMUP

# The blocks a stage's summary keeps (accuracy against simulator truth stays at run level).
STAGE_BLOCKS: tuple[str, ...] = (
    "window",
    "requests",
    "tokens",
    "latency",
    "throughput",
    "goodput",
    "errors",
    "concurrency",
    "health",
    "prefix_cache",
)


def stage_frames(records: pd.DataFrame, meta: RunMeta) -> Iterator[tuple[StageWindow, pd.DataFrame, RunMeta]]:
    """For each stage: its records (phases set by the stage's window) and its summary meta."""
    for stage in meta.stages:
        rows = records[records["stage"] == stage.name]
        start = max(stage.start + stage.warmup_s, meta.window_start)
        end = max(min(stage.end, meta.window_end), start)
        at = np.where(
            np.isfinite(m.floats(rows, "intended_at")),
            m.floats(rows, "intended_at"),
            m.floats(rows, "sent_at"),
        )
        phase = np.select([at < start, at >= end], [PHASE_WARMUP, PHASE_COOLDOWN], PHASE_MEASURE)
        stage_meta = replace(
            meta, window_start=start, window_end=end, stages=[], targets=[], by_turn=False, extra={}
        )
        yield stage, rows.assign(phase=phase), stage_meta
