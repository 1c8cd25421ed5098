"""The record store: incremental journal, compaction, recovery after a crash."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.records import store
from harness.records.record import RequestRecord
from harness.records.store import JOURNAL_NAME, PARQUET_NAME, RecordWriter, read_records, recover


def _rec(i: int) -> RequestRecord:
    return RequestRecord(
        request_id=f"r{i}",
        scenario="t",
        sent_at=1000.0 + i,
        ttft_s=0.1 * i,
        e2e_s=1.0 + i,
        chunk_gaps_s=[0.01 * i, 0.02],
        n_out=i,
        ok=i % 2 == 0,
        error_kind=None if i % 2 == 0 else "http_5xx",
    )


def test_close_compacts_journal_into_parquet(tmp_path: Path) -> None:
    w = RecordWriter(tmp_path)
    for i in range(5):
        w.append(_rec(i))
    w.flush()
    w.extend([_rec(5), _rec(6)])
    out = w.close()
    assert out == tmp_path / PARQUET_NAME
    assert not (tmp_path / JOURNAL_NAME).exists()
    df = read_records(tmp_path)
    assert list(df["request_id"]) == [f"r{i}" for i in range(7)]
    assert list(df.loc[3, "chunk_gaps_s"]) == [0.03, 0.02]
    assert df["error_kind"].tolist()[1] == "http_5xx"
    assert pq.read_table(out).num_rows == 7


def test_compaction_joins_journal_batches_into_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A row group at a time (here 4 records): the journal's 3-record batches are joined until a
    # group holds at least that many, in order, and the last group takes what is left.
    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 4)
    w = RecordWriter(tmp_path)
    for start in range(0, 9, 3):
        w.extend([_rec(i) for i in range(start, start + 3)])
        w.flush()
    w.append(_rec(9))
    out = w.close()
    meta = pq.ParquetFile(out).metadata
    assert [meta.row_group(g).num_rows for g in range(meta.num_row_groups)] == [6, 4]
    assert list(read_records(tmp_path)["request_id"]) == [f"r{i}" for i in range(10)]


def test_journal_is_readable_while_open_and_after_truncation(tmp_path: Path) -> None:
    w = RecordWriter(tmp_path)
    w.extend([_rec(0), _rec(1)])
    w.flush()
    w.extend([_rec(2)])
    w.flush()
    # Another reader sees both flushed batches while the writer is still open.
    assert len(read_records(tmp_path)) == 3
    journal = tmp_path / JOURNAL_NAME
    data = journal.read_bytes()
    journal.write_bytes(data[:-7])  # a crash in the middle of the last batch
    df = read_records(tmp_path)
    assert list(df["request_id"]) == ["r0", "r1"]


def test_sigkill_loses_at_most_the_unflushed_second(tmp_path: Path) -> None:
    """A process killed with SIGKILL leaves a journal holding every flushed record."""
    script = textwrap.dedent(
        f"""
        import time, sys
        from pathlib import Path
        from harness.records.record import RequestRecord
        from harness.records.store import RecordWriter
        w = RecordWriter(Path({str(tmp_path)!r}))
        i = 0
        while True:
            w.append(RequestRecord(request_id=str(i), scenario="k", sent_at=time.time()))
            i += 1
            if i % 50 == 0:
                w.flush()
                print(i, flush=True)
            time.sleep(0.001)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    flushed = 0
    deadline = time.time() + 30
    while flushed < 200 and time.time() < deadline:
        flushed = int(proc.stdout.readline())
    proc.kill()
    proc.wait()
    df = read_records(tmp_path)
    assert len(df) >= 200
    assert list(df["request_id"]) == [str(i) for i in range(len(df))]
    assert recover(tmp_path) == tmp_path / PARQUET_NAME
    assert len(read_records(tmp_path)) == len(df)
