"""Per-week traffic and golden accuracy over the whole span of the logs."""

from __future__ import annotations

import math

import pandas as pd

from harness.drift.result import WeekTrend


def weekly_trend(frame: pd.DataFrame, weeks: pd.Series) -> list[WeekTrend]:
    """One row per ISO week label in ``weeks`` (aligned with the sample ``frame``), oldest first."""
    ok = frame["ok"]
    table = pd.DataFrame(
        {
            "requests": frame.groupby(weeks).size(),
            "error_rate": (~ok).groupby(weeks).mean(),
            "e2e_p50_s": frame["e2e_s"].where(ok).groupby(weeks).median(),
            "output_tokens_mean": frame["n_out"].where(ok).groupby(weeks).mean(),
            "graded": frame["correct"].groupby(weeks).count(),
            "accuracy": frame["correct"].groupby(weeks).mean(),
        }
    ).sort_index()
    return [
        WeekTrend(
            week=str(week),
            requests=int(row.requests),
            error_rate=float(row.error_rate),
            e2e_p50_s=_maybe(row.e2e_p50_s),
            output_tokens_mean=_maybe(row.output_tokens_mean),
            graded=int(row.graded),
            accuracy=_maybe(row.accuracy),
        )
        for week, row in table.iterrows()
    ]


def _maybe(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)
