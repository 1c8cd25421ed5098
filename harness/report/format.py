"""Number formatting shared by the HTML report and the console tables."""

from __future__ import annotations

from datetime import UTC, datetime

MISSING = "—"  # shown for a statistic with no samples


def number(value: float | int | None, digits: int = 1, unit: str = "") -> str:
    """``value`` rounded to ``digits`` with an optional unit, or a dash when missing."""
    if value is None:
        return MISSING
    text = f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"
    return f"{text} {unit}" if unit else text


def percent(ratio: float | None, digits: int = 1) -> str:
    return MISSING if ratio is None else f"{ratio * 100:.{digits}f} %"


def timestamp(epoch: float | None) -> str:
    """Epoch seconds as an ISO 8601 UTC time."""
    if epoch is None:
        return MISSING
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
