"""Multi-turn sessions: results per turn index (turn 1 of every session, turn 2, ...).

Each turn's block is the one summary function applied to the records labelled with that turn
(``RequestRecord.turn``), over the run's window, keeping ``TURN_BLOCKS``: how TTFT, prompt
lengths and prefix-cache hits grow as conversations get longer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.analysis.meta import RunMeta

TURN_BLOCKS: tuple[str, ...] = ("requests", "tokens", "latency", "prefix_cache")


def turn_frames(records: pd.DataFrame, meta: RunMeta) -> Iterator[tuple[int, pd.DataFrame, RunMeta]]:
    """For each turn index, in order: its records and the meta to summarise them with (no
    stages, no turns of their own); nothing inside a turn's own summary."""
    if not meta.by_turn:
        return
    turns = m.floats(records, "turn")
    inner = replace(meta, stages=[], targets=[], extra={}, by_turn=False)
    for turn in np.unique(turns[np.isfinite(turns)]).tolist():
        yield int(turn), records[turns == turn], inner
