"""Small HTML building blocks. Every piece of text passes through ``html.escape``:
prompts, outputs and error details come from the endpoint and may contain markup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], css_class: str = "") -> str:
    """An HTML table; every cell is escaped text."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    attr = f' class="{escape(css_class)}"' if css_class else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def section(anchor: str, title: str, *parts: str) -> str:
    """A titled report section wrapping already-built HTML ``parts``."""
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'
