"""The generated files: ``dashboards/*.json`` from the definitions in this package, and the metric
table in ``docs/metrics.md`` from the catalogue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.dashboards import compare, gpu_cost, load, quality, vllm
from harness.dashboards.grafana import Dashboard, render
from harness.publish.reference import with_tables

# File name (under dashboards/) -> definition.
DASHBOARDS: dict[str, Dashboard] = {
    "load-overview.json": load.DASHBOARD,
    "gpu-energy-cost.json": gpu_cost.DASHBOARD,
    "quality-drift.json": quality.DASHBOARD,
    "vllm-server.json": vllm.DASHBOARD,
    "compare.json": compare.DASHBOARD,
}


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str  # uid
    panel: str  # title
    ref: str  # the target's refId
    expr: str


def to_json(d: Dashboard) -> str:
    """The file content: fixed key order, two-space indent, trailing newline."""
    return json.dumps(render(d), indent=2, ensure_ascii=False) + "\n"


def generated(dashboards_dir: Path, docs: Path | None) -> dict[Path, str]:
    """Path -> content of every generated file (the docs table only when ``docs`` exists)."""
    files = {dashboards_dir / name: to_json(d) for name, d in DASHBOARDS.items()}
    if docs is not None and docs.is_file():
        files[docs] = with_tables(docs.read_text(encoding="utf-8"))
    return files


def write_generated(dashboards_dir: Path, docs: Path | None) -> list[Path]:
    """Write every generated file; returns the paths written."""
    dashboards_dir.mkdir(parents=True, exist_ok=True)
    files = generated(dashboards_dir, docs)
    for path, content in files.items():
        path.write_text(content, encoding="utf-8")
    return list(files)


def stale_files(dashboards_dir: Path, docs: Path | None) -> list[Path]:
    """Generated files that are missing or differ from what the code generates now."""
    return [
        path
        for path, content in generated(dashboards_dir, docs).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]


def panel_queries(d: Dashboard) -> Iterator[PanelQuery]:
    """Every target of every panel, as rendered (template variables unexpanded)."""
    for panel in render(d)["panels"]:
        for target in panel.get("targets", []):
            yield PanelQuery(d.uid, panel["title"], target["refId"], target["expr"])
