"""The console table of a golden run: accuracy with its interval per set and per tag."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def accuracy_table(section: dict[str, Any]) -> Table:
    confidence = section.get("confidence", 0.95)
    table = Table(title="golden accuracy", title_justify="left")
    for column in ("set / tag", "scored", "correct", "accuracy", f"{confidence:.0%} CI", "transport errors"):
        table.add_column(column, justify="left" if column == "set / tag" else "right")
    for set_name, block in section["sets"].items():
        table.add_row(*_cells(f"[bold]{set_name}[/bold]", block))
        for tag, tag_block in block["tags"].items():
            table.add_row(*_cells(f"  {tag}", tag_block))
    table.add_row(*_cells("[bold]all sets[/bold]", section))
    return table


def _cells(label: str, block: dict[str, Any]) -> list[str]:
    accuracy = block["accuracy"]
    if accuracy is None:
        return [label, str(block["scored"]), str(block["correct"]), "–", "–", str(block["transport_errors"])]
    return [
        label,
        str(block["scored"]),
        str(block["correct"]),
        f"{accuracy:.1%}",
        f"{block['ci_low']:.1%}–{block['ci_high']:.1%}",
        str(block["transport_errors"]),
    ]
