"""The append-only record store of a run.

While a run lasts, records go to an Arrow IPC stream journal (``records.arrows``), one
record batch per flush, flushed at least once a second: a crash loses at most the last
second, and a truncated journal still reads up to its last complete batch. On a clean
close the journal is compacted into ``records.parquet`` and removed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from harness.records.record import RECORD_FIELDS, RequestRecord

JOURNAL_NAME = "records.arrows"
PARQUET_NAME = "records.parquet"

SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("scenario", pa.string()),
        ("worker", pa.string()),
        ("phase", pa.string()),
        ("api", pa.string()),
        ("intended_at", pa.float64()),
        ("sent_at", pa.float64()),
        ("schedule_lag_s", pa.float64()),
        ("ttft_s", pa.float64()),
        ("ttfc_s", pa.float64()),
        ("e2e_s", pa.float64()),
        ("chunk_gaps_s", pa.list_(pa.float64())),
        ("n_content_chunks", pa.int64()),
        ("n_in", pa.int64()),
        ("n_out", pa.int64()),
        ("token_source", pa.string()),
        ("n_out_alt", pa.int64()),
        ("status_code", pa.int64()),
        ("ok", pa.bool_()),
        ("error_kind", pa.string()),
        ("error_detail", pa.string()),
        ("finish_reason", pa.string()),
        ("concurrency_at_send", pa.int64()),
        ("prompt_id", pa.string()),
        ("output_text", pa.string()),
        ("truth_ttft_s", pa.float64()),
        ("truth_e2e_s", pa.float64()),
        ("stage", pa.string()),
        ("target", pa.string()),
        ("repeat", pa.int64()),
        ("pair_id", pa.string()),
        ("session_id", pa.string()),
        ("turn", pa.int64()),
        ("stale_retries", pa.int64()),
        ("cached_tokens", pa.int64()),
    ]
)
assert tuple(SCHEMA.names) == RECORD_FIELDS, "store schema and RequestRecord fields differ"

# Dictionary-encode the text columns only: a dictionary of random floats (the chunk gaps above
# all) makes a 1-hour run's records.parquet take ten times longer to read.
TEXT_COLUMNS = [f.name for f in SCHEMA if pa.types.is_string(f.type)]


def _release_freed_memory() -> None:
    """Arrow's jemalloc pool, handing freed memory back to the system at once: reading a big
    run's records a row group at a time then peaks at the frame built and one row group, where
    the default pool kept every freed buffer (the frame and as much again). Where pyarrow has no
    jemalloc the default pool stays."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # pyarrow built without jemalloc
        pass


_release_freed_memory()

ROW_GROUP_ROWS = 262_144  # records per row group of records.parquet (journal batches joined)


def compact(journal: Path, out: Path) -> None:
    """Write every complete batch of `journal` to `out` as Parquet, a row group at a time: a
    1-hour run's records never sit in memory all at once."""
    with pq.ParquetWriter(out, SCHEMA, use_dictionary=TEXT_COLUMNS) as writer:
        group: list[pa.RecordBatch] = []
        rows = 0
        for batch in journal_batches(journal):
            group.append(batch)
            rows += batch.num_rows
            if rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(group, schema=SCHEMA))
                group, rows = [], 0
        if group:
            writer.write_table(pa.Table.from_batches(group, schema=SCHEMA))


def records_to_table(records: list[RequestRecord]) -> pa.Table:
    columns = {name: [getattr(r, name) for r in records] for name in RECORD_FIELDS}
    return pa.Table.from_pydict(columns, schema=SCHEMA)


class RecordWriter:
    """Collects records from any thread or greenlet and journals them to disk.

    ``append`` is cheap (a list append under a lock); ``flush`` writes what has
    accumulated as one batch. The caller drives ``flush`` at least once a second
    (the load driver does, from its own timer).
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.journal_path = run_dir / JOURNAL_NAME
        self._pending: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._sink = pa.OSFile(str(self.journal_path), "wb")
        self._writer = pa.ipc.new_stream(self._sink, SCHEMA)
        self.count = 0
        self._closed = False

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._pending.append(record)

    def extend(self, records: list[RequestRecord]) -> None:
        with self._lock:
            self._pending.extend(records)

    def flush(self) -> int:
        """Write pending records as one batch; returns how many were written."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        with self._io_lock:
            if self._closed:
                return 0
            self._writer.write_table(records_to_table(batch))
            self._sink.flush()
            self.count += len(batch)
        return len(batch)

    def close(self) -> Path:
        """Flush, then compact the journal into ``records.parquet`` and remove it."""
        self.flush()
        with self._io_lock:
            if not self._closed:
                self._closed = True
                self._writer.close()
                self._sink.close()
        out = self.run_dir / PARQUET_NAME
        compact(self.journal_path, out)
        self.journal_path.unlink(missing_ok=True)
        return out


def journal_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """Every complete batch of a journal in order, also of one cut short by a crash."""
    try:
        with pa.OSFile(str(path), "rb") as source:
            reader = pa.ipc.open_stream(source)
            while True:
                try:
                    yield reader.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowInvalid, OSError):
                    return  # a batch cut short by a crash: keep what came before it
    except (pa.ArrowInvalid, OSError):
        return  # the crash came before the schema was complete: nothing to keep


def read_records(run_dir: Path, columns: list[str] | None = None, compact: bool = False) -> pd.DataFrame:
    """Records of a run as a DataFrame: from records.parquet, else recovered from the journal.

    ``columns`` reads only those (a big run's summary needs a dozen of them). ``compact``, for
    millions of rows: text columns come back as categoricals (a few distinct values), and a
    column with no value at all (no ground truth, no turns, closed loop's schedule lag) as an
    empty categorical, a byte a row. Chunk gaps stay Arrow lists (``pd.ArrowDtype``): millions
    of small Python lists would cost gigabytes. Batches are read one at a time and each column is
    converted on its own, its Arrow buffers freed as it is: a big run's peak is the frame and one
    column more, not two copies of everything."""
    pieces: dict[str, list[pa.Array]] = {}
    schema = SCHEMA if columns is None else pa.schema([SCHEMA.field(name) for name in columns])
    for batch in record_batches(run_dir, columns, TEXT_COLUMNS if compact else None):
        schema = batch.schema
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            pieces.setdefault(name, []).append(column)
    frame: dict[str, pd.Series | pd.Categorical] = {}
    for field in schema:
        chunked = pa.chunked_array(pieces.pop(field.name, []), type=field.type)
        if compact and len(chunked) and chunked.null_count == len(chunked):
            frame[field.name] = pd.Categorical.from_codes(np.full(len(chunked), -1, np.int8), dtype=_NOTHING)
        else:
            frame[field.name] = chunked.to_pandas(types_mapper=_arrow_lists, self_destruct=True)
        del chunked
    return pd.DataFrame(frame, copy=False)


def record_batches(
    run_dir: Path, columns: list[str] | None = None, dictionaries: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The records of a run a row group (or journal batch) at a time, in row order: from
    records.parquet, else from the journal (nothing when there is neither)."""
    parquet = run_dir / PARQUET_NAME
    if parquet.exists():
        source = pq.ParquetFile(parquet, read_dictionary=dictionaries)
        for group in range(source.num_row_groups):
            yield from source.read_row_group(group, columns=columns).to_batches()
        return
    for batch in journal_batches(run_dir / JOURNAL_NAME):
        yield batch.select(columns) if columns is not None else batch


def read_rows_of(run_dir: Path, column: str, positions: list[int]) -> list[object]:
    """One column's values at row ``positions`` of a run's records, read without the rest (the
    answer texts of a few requests out of millions): only the batches that hold them."""
    wanted = sorted(set(positions))
    found: dict[int, object] = {}
    offset = 0
    for batch in record_batches(run_dir, [column]):
        end = offset + batch.num_rows
        inside = [i for i in wanted if offset <= i < end]
        if inside:
            values = batch.column(0).take(pa.array([i - offset for i in inside], pa.int64())).to_pylist()
            found.update(zip(inside, values, strict=True))
        if len(found) == len(wanted):
            break  # the batches after the last wanted row are not read
        offset = end
    return [found[i] for i in positions]


_NOTHING = pd.CategoricalDtype(categories=pd.Index([], dtype=float))  # a column with no value at all


def _arrow_lists(arrow_type: pa.DataType) -> pd.ArrowDtype | None:
    return pd.ArrowDtype(arrow_type) if pa.types.is_list(arrow_type) else None


def recover(run_dir: Path) -> Path | None:
    """Compact a crashed run's journal into records.parquet (no-op when there is none)."""
    journal = run_dir / JOURNAL_NAME
    if not journal.exists():
        return None
    out = run_dir / PARQUET_NAME
    compact(journal, out)
    journal.unlink()
    return out
