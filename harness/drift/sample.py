"""A sample of traffic to compare: one row per request, whatever it was read from.

Run directories and production logs both become a `Sample` with the same columns, so the
feature, report and weekly code never asks where the data came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd

# timestamp: UTC datetime; prompt/output: text (None when the source has none);
# latencies in seconds; correct: 1.0 / 0.0 when the request was graded, else NaN.
COLUMNS: tuple[str, ...] = (
    "timestamp",
    "prompt",
    "output",
    "n_in",
    "n_out",
    "ttft_s",
    "tpot_s",
    "e2e_s",
    "finish_reason",
    "error_kind",
    "ok",
    "correct",
    "model",
)
FLOAT_COLUMNS = ("n_in", "n_out", "ttft_s", "tpot_s", "e2e_s", "correct")

MAX_ISSUES_KEPT = 20


@dataclass(frozen=True, slots=True)
class LogIssue:
    """One log line that could not be used."""

    file: str
    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.problem}"


@dataclass(slots=True)
class LogQuality:
    """How many log lines were read and which were skipped (the first few kept as examples)."""

    lines: int = 0
    invalid: int = 0
    issues: list[LogIssue] = field(default_factory=list)

    def add(self, issue: LogIssue) -> None:
        self.invalid += 1
        if len(self.issues) < MAX_ISSUES_KEPT:
            self.issues.append(issue)

    def merge(self, other: LogQuality) -> None:
        self.lines += other.lines
        for issue in other.issues:
            if len(self.issues) < MAX_ISSUES_KEPT:
                self.issues.append(issue)
        self.invalid += other.invalid


@dataclass(slots=True)
class Sample:
    frame: pd.DataFrame  # COLUMNS, one row per request
    sources: list[str]
    label: str
    # Golden-set correctness per item when it is not per request (a run's golden.parquet).
    golden: pd.Series | None = None
    quality: LogQuality = field(default_factory=LogQuality)
    endpoint: str | None = None  # the endpoint's name when the source records it (run summaries)

    @property
    def graded(self) -> pd.Series:
        """Correctness (bool) of every graded item: golden results, else the requests' flags."""
        if self.golden is not None:
            return self.golden
        return self.frame["correct"].dropna().astype(bool)

    @property
    def model(self) -> str | None:
        """The model most requests went to, when the source names models."""
        named = self.frame["model"].dropna()
        return None if named.empty else str(named.mode().iloc[0])

    @property
    def start(self) -> datetime | None:
        return None if self.frame.empty else self.frame["timestamp"].min().to_pydatetime(warn=False)

    @property
    def end(self) -> datetime | None:
        return None if self.frame.empty else self.frame["timestamp"].max().to_pydatetime(warn=False)

    def subset(self, mask: pd.Series, label: str) -> Sample:
        """The rows under ``mask`` as a sample of their own (e.g. one ISO week)."""
        return replace(self, frame=self.frame.loc[mask].reset_index(drop=True), label=label)


def empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame.astype({name: float for name in FLOAT_COLUMNS})
