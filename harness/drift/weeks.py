"""ISO weeks (Monday 00:00 UTC to the next Monday) and the choice of weeks a weekly report compares.

ISO weeks belong to the ISO year of their Thursday, so 2024-12-30 falls in 2025-W01 and some
years have a week 53 (2020, 2026): "the week before 2027-W01" is 2026-W53, not 2026-W52.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd

from harness.config.errors import ConfigError

_WEEK = timedelta(days=7)
_LABEL = re.compile(r"^(\d{4})-?W(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``2025-W03`` (or ``2025W03``); raises ValueError for anything else."""
        found = _LABEL.match(text.strip().upper())
        if found is None:
            raise ValueError(f"{text!r} is not an ISO week like 2025-W03")
        year, week = int(found.group(1)), int(found.group(2))
        try:
            datetime.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {week}") from None
        return cls(year, week)

    @classmethod
    def of(cls, moment: datetime) -> IsoWeek:
        iso = moment.astimezone(UTC).isocalendar()
        return cls(iso.year, iso.week)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def start(self) -> datetime:
        return datetime.fromisocalendar(self.year, self.week, 1).replace(tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.start + _WEEK

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.start - _WEEK)

    def __str__(self) -> str:
        return self.label


def week_labels(timestamps: pd.Series) -> pd.Series:
    """The ISO week label (``2025-W03``) of each UTC timestamp."""
    iso = timestamps.dt.isocalendar()
    return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)


@dataclass(frozen=True, slots=True)
class WeekChoice:
    reference: IsoWeek
    current: IsoWeek
    notes: list[str] = field(default_factory=list)


def choose_weeks(
    labels: pd.Series,
    as_of: datetime,
    current: IsoWeek | None = None,
    reference: IsoWeek | None = None,
) -> WeekChoice:
    """The current week (the newest one over by ``as_of`` that has logs, unless pinned) and
    the reference week (the week before it, unless pinned). ``labels`` are the logs' week labels."""
    present = {IsoWeek.parse(label) for label in labels.unique()}
    complete = sorted(w for w in present if w.end <= as_of)
    notes: list[str] = []
    in_progress = sorted(w for w in present if w.end > as_of)
    if in_progress:
        notes.append(
            f"left out {', '.join(map(str, in_progress))}: not over as of {as_of:%Y-%m-%d %H:%M} UTC"
        )
    if current is None:
        if not complete:
            raise ConfigError(
                "(logs)",
                "timestamp",
                f"no complete ISO week in the logs as of {as_of:%Y-%m-%d %H:%M} UTC",
                "give logs that cover a whole week (Monday to Sunday, UTC) or pin --current-week",
            )
        current = complete[-1]
        newest_over = IsoWeek.of(as_of - _WEEK)
        if current < newest_over:
            notes.append(f"no logs for the weeks after {current} up to {newest_over}; comparing older weeks")
    else:
        _require(current, present, "--current-week")
        if current.end > as_of:
            raise ConfigError(
                "(command line)",
                "--current-week",
                f"{current} is not over as of {as_of:%Y-%m-%d %H:%M} UTC",
                "pin a week that has ended, or pass a later --as-of",
            )
    if reference is None:
        reference = current.previous()
        _require(reference, present, "--reference-week", f"the week before {current}")
    else:
        _require(reference, present, "--reference-week")
    if reference == current:
        raise ConfigError(
            "(command line)", "--reference-week", f"is the current week {current}", "pin a different week"
        )
    return WeekChoice(reference=reference, current=current, notes=notes)


def _require(week: IsoWeek, present: set[IsoWeek], option: str, what: str | None = None) -> None:
    if week not in present:
        known = ", ".join(map(str, sorted(present)))
        raise ConfigError(
            "(logs)",
            option,
            f"no logs in {what or week} ({week}); the logs cover {known}",
            f"pin a week that has logs with {option}",
        )
