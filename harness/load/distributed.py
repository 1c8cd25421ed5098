"""Distributed runs on Locust's master/worker mode: what travels between them.

Workers send their request records to the master in a message of their own every half
second (Locust's periodic worker report comes every 3 s: a worker killed between two reports
would lose up to 3 s of records), so the master's record store, summary, exporter and report
cover the whole fleet, and percentiles are computed from the union of raw samples. The master
sends each worker the run setup and its share of an open-loop rate, and at the end asks every
worker to flush, waiting for their final batches. A lost worker's users are given to the
survivors (Locust's rebalancing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.records.record import RequestRecord

MSG_SETUP = "harness_setup"  # master -> worker: run setup (scenario, target, clock)
MSG_SHARE = "harness_share"  # master -> worker: (index, count) among live workers
MSG_FLUSH = "harness_flush"  # master -> worker: send everything you have
MSG_FLUSHED = "harness_flushed"  # worker -> master: final batch of records
MSG_RECORDS = "harness_records"  # worker -> master: records since the last batch
REPORT_KEY = "harness_records"
CPU_KEY = "harness_cpu_s"  # the worker process's CPU seconds so far
RECORDS_EVERY_S = 0.5

RecordSink = Callable[[RequestRecord], None]


class RecordOutbox:
    """Worker side: records wait here until the next report to the master."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self.sent = 0

    def __call__(self, record: RequestRecord) -> None:
        self._rows.append(record.to_row())

    def drain(self) -> list[dict[str, Any]]:
        rows, self._rows = self._rows, []
        self.sent += len(rows)
        return rows


@dataclass
class WorkerInfo:
    worker_id: str
    joined_at: float
    requests: int = 0
    cpu_s: float = 0.0
    last_report_at: float | None = None
    lost_at: float | None = None
    flushed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "worker": self.worker_id,
            "joined_at": self.joined_at,
            "requests": self.requests,
            "cpu_s": self.cpu_s,
            "last_report_at": self.last_report_at,
            "lost_at": self.lost_at,
        }


@dataclass
class Fleet:
    """Master side: which workers took part, what each sent, which were lost and when."""

    sinks: list[RecordSink]
    workers: dict[str, WorkerInfo] = field(default_factory=dict)

    def joined(self, worker_id: str) -> WorkerInfo:
        info = self.workers.get(worker_id)
        if info is None:
            info = self.workers[worker_id] = WorkerInfo(worker_id, joined_at=time.time())
        return info

    def receive(self, worker_id: str, rows: list[dict[str, Any]], cpu_s: float | None = None) -> None:
        info = self.joined(worker_id)
        info.last_report_at = time.time()
        if cpu_s is not None:
            info.cpu_s = cpu_s
        info.requests += len(rows)
        for row in rows:
            record = RequestRecord(**row)
            for sink in self.sinks:
                sink(record)

    def mark_lost(self, worker_ids: list[str]) -> list[WorkerInfo]:
        """Record newly missing workers; returns the ones not known to be lost before."""
        newly = []
        for worker_id in worker_ids:
            info = self.joined(worker_id)
            if info.lost_at is None:
                info.lost_at = time.time()
                newly.append(info)
        return newly

    def live(self) -> list[str]:
        return sorted(w for w, info in self.workers.items() if info.lost_at is None)

    def summary(self, expected: int | None) -> dict[str, Any]:
        return {
            "expected": expected,
            "count": len(self.workers),
            "workers": [info.as_dict() for info in self.workers.values()],
            "lost": [info.as_dict() for info in self.workers.values() if info.lost_at is not None],
        }
