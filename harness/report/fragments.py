"""Small HTML building blocks. Every piece of text passes through ``html.escape``:
prompts, outputs and error details come from the endpoint and may contain markup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape

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


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], css_class: str = "") -> str:
    """An HTML table; every cell is escaped text."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    attr = f' class="{escape(css_class)}"' if css_class else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def section(anchor: str, title: str, *parts: str) -> str:
    """A titled report section wrapping already-built HTML ``parts``."""
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'
