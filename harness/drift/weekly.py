"""Weekly mode: from logs spanning several weeks, the last complete ISO week against the one
before it (or a pinned reference week), with the per-week trend of the whole span."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from harness.drift.compare import Context
from harness.drift.sample import Sample
from harness.drift.trend import weekly_trend
from harness.drift.weeks import IsoWeek, choose_weeks, week_labels


@dataclass(frozen=True, slots=True)
class WeeklySplit:
    reference: Sample
    current: Sample
    context: Context


def split_weeks(
    logs: Sample, as_of: datetime, current_week: IsoWeek | None = None, reference_week: IsoWeek | None = None
) -> WeeklySplit:
    """The reference and current weeks of ``logs`` and the trend of every week up to the current one."""
    labels = week_labels(logs.frame["timestamp"])
    choice = choose_weeks(labels, as_of, current=current_week, reference=reference_week)
    ref_label, cur_label = choice.reference.label, choice.current.label
    upto_current = labels <= cur_label  # "YYYY-Www" labels sort in time order
    context = Context(
        reference_week=ref_label,
        current_week=cur_label,
        trend=weekly_trend(logs.frame[upto_current], labels[upto_current]),
        notes=list(choice.notes),
    )
    return WeeklySplit(
        reference=logs.subset(labels == ref_label, ref_label),
        current=logs.subset(labels == cur_label, cur_label),
        context=context,
    )
