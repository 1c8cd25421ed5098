"""Inter-token latency samples of groups of requests, read from the records' chunk-gap lists.

A big run holds tens of millions of chunk gaps (16 per request at 1,000 req/s for an hour is
57.6 M): too many to hold beside the rest of the records. ``GapSamples`` reads the
``chunk_gaps_s`` column batch by batch, as often as the exact selection (``selection``) needs,
and serves every group asked of it (the run, each stage, target and turn: a mask over the
records' rows) from the same passes. Statistics asked for are placeholders until ``resolve``
fills them in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness.analysis.metrics import gap_lists
from harness.analysis.selection import Selection, select
from harness.analysis.stats import PERCENTILES, STAT_KEYS, statistics
from harness.records.store import record_batches

GAPS_COLUMN = "chunk_gaps_s"

# The gap lists of the records, batch after batch in row order, read anew on every call.
GapBatches = Callable[[], Iterator[pa.Array]]


def file_batches(run_dir: Path) -> GapBatches:
    """The gap lists of a run's records file (or journal), a row group at a time."""

    def batches() -> Iterator[pa.Array]:
        for batch in record_batches(run_dir, [GAPS_COLUMN]):
            yield batch.column(0)

    return batches


def column_batches(column: pd.Series) -> GapBatches:
    """The gap lists of a records frame's ``chunk_gaps_s`` column, as it is in memory."""
    chunked = gap_lists(column)

    def batches() -> Iterator[pa.Array]:
        yield from chunked.chunks

    return batches


class GapSamples:
    """Chunk gaps of the rows a mask selects, for several masks over the same records at once."""

    def __init__(self, batches: GapBatches, rows: int) -> None:
        self._batches = batches
        self._rows = rows
        self._masks: list[np.ndarray] = []
        self._selections: list[Selection] = []
        self._described: list[tuple[Selection, dict[str, float | int | None], float]] = []

    def describe(self, positions: np.ndarray, scale: float = 1.0) -> dict[str, float | int | None]:
        """``describe`` of the gaps of the rows at ``positions`` (a boolean mask over every
        record, or row numbers), times ``scale``: filled in by ``resolve``."""
        placeholder: dict[str, float | int | None] = dict.fromkeys(STAT_KEYS)
        selection = self.percentiles(positions, list(PERCENTILES.values()))
        self._described.append((selection, placeholder, scale))
        return placeholder

    def percentiles(self, positions: np.ndarray, ranks: Sequence[float]) -> Selection:
        """A selection of the gaps of the rows at ``positions`` at percentile ``ranks``: its
        results are there after ``resolve``."""
        self._masks.append(_mask(positions, self._rows))
        self._selections.append(Selection(ranks))
        return self._selections[-1]

    def resolve(self) -> None:
        """Read the gaps as often as the selections need and fill in what was asked."""
        select(self._selections, self._passes)
        for selection, placeholder, scale in self._described:
            placeholder.update(
                statistics(
                    selection.percentiles, selection.mean, selection.min, selection.max,
                    selection.std, selection.count, scale,
                )
            )  # fmt: skip
        self._masks, self._selections, self._described = [], [], []

    def chunks(self, positions: np.ndarray) -> Iterator[np.ndarray]:
        """The gaps of the rows at ``positions``, batch by batch (one more read)."""
        for arrays in self._read([_mask(positions, self._rows)]):
            yield arrays[0]

    def _passes(self, wanted: list[int]) -> Iterator[list[np.ndarray]]:
        return self._read([self._masks[i] for i in wanted])

    def _read(self, masks: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
        offset = 0
        for lists in self._batches():
            n = len(lists)
            values = lists.flatten().to_numpy(zero_copy_only=False)
            lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
            selected = []
            for mask in masks:
                rows = mask[offset : offset + n]
                selected.append(values if rows.all() else values[np.repeat(rows, lengths)])
            offset += n
            yield selected


def _mask(positions: np.ndarray, rows: int) -> np.ndarray:
    positions = np.asarray(positions)
    if positions.dtype == bool:
        return positions
    mask = np.zeros(rows, dtype=bool)
    mask[positions] = True
    return mask
