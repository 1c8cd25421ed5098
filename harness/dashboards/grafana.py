"""A small builder for Grafana dashboard JSON (schema 39, Grafana 10.4+/11).

Plain dataclasses that render to plain dicts: only the handful of panel types and options
the harness's dashboards use. Layout is automatic — panels fill rows of the 24-column grid
left to right — and ids/refIds are assigned in order, so the output depends only on the
definitions and is byte-stable between builds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

DATASOURCE_UID = "slm-prometheus"  # fixed in dashboards/grafana/provisioning/datasources
DATASOURCE: dict[str, str] = {"type": "prometheus", "uid": DATASOURCE_UID}
SCHEMA_VERSION = 39
GRID_WIDTH = 24
TAGS = ("slm-harness",)

PanelType = Literal["timeseries", "stat", "table", "bargauge"]


@dataclass(frozen=True)
class Query:
    """One PromQL target; ``table`` queries are instant and rendered as a table."""

    expr: str
    legend: str = ""
    table: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    queries: Sequence[Query]
    description: str
    type: PanelType = "timeseries"
    unit: str = "short"
    width: int = 8
    height: int = 8
    min: float | None = None
    max: float | None = None
    # Stat panels: text shown instead of a value (e.g. {"1": "PASS", "0": "FAIL"}).
    value_text: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    title: str
    panels: Sequence[Panel]


@dataclass(frozen=True)
class Variable:
    """A query variable filled from ``label_values(selector, label)``; matchers use ``=~"$name"``."""

    name: str
    label: str
    selector: str  # a metric name or a series selector
    source_label: str = ""  # the label to read when it differs from ``name``

    @property
    def definition(self) -> str:
        return f"label_values({self.selector}, {self.source_label or self.name})"


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    variables: Sequence[Variable]
    rows: Sequence[Row]
    refresh: str = "10s"
    time_from: str = "now-1h"

    def panels(self) -> Iterator[Panel]:
        for row in self.rows:
            yield from row.panels


def render(d: Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model (``id`` null so imports never clash)."""
    panels: list[dict[str, Any]] = []
    y = 0
    next_id = 1
    for row in d.rows:
        panels.append(
            {
                "collapsed": False,
                "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                "id": next_id,
                "panels": [],
                "title": row.title,
                "type": "row",
            }
        )
        next_id += 1
        y += 1
        x = 0
        line_height = 0
        for panel in row.panels:
            if x + panel.width > GRID_WIDTH:
                x, y = 0, y + line_height
                line_height = 0
            panels.append(_panel(panel, next_id, {"h": panel.height, "w": panel.width, "x": x, "y": y}))
            next_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    return {
        "annotations": {"list": []},
        "description": d.description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [],
        "panels": panels,
        "refresh": d.refresh,
        "schemaVersion": SCHEMA_VERSION,
        "tags": list(TAGS),
        "templating": {"list": [_variable(v) for v in d.variables]},
        "time": {"from": d.time_from, "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": d.title,
        "uid": d.uid,
        "version": 1,
    }


def _target(q: Query, ref: str) -> dict[str, Any]:
    return {
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": q.expr,
        "format": "table" if q.table else "time_series",
        "instant": q.table,
        "legendFormat": q.legend or "__auto",
        "range": not q.table,
        "refId": ref,
    }


def _field_defaults(p: Panel) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": p.unit}
    if p.min is not None:
        defaults["min"] = p.min
    if p.max is not None:
        defaults["max"] = p.max
    if p.value_text:
        defaults["mappings"] = [
            {
                "type": "value",
                "options": {
                    value: {"color": color, "index": i, "text": text}
                    for i, (value, (text, color)) in enumerate(p.value_text.items())
                },
            }
        ]
    return defaults


def _options(p: Panel) -> dict[str, Any]:
    reduce = {"calcs": ["lastNotNull"], "fields": "", "values": False}
    if p.type == "timeseries":
        return {
            "legend": {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        }
    if p.type == "stat":
        return {
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "reduceOptions": reduce,
            "textMode": "auto",
        }
    if p.type == "bargauge":
        return {
            "displayMode": "gradient",
            "orientation": "horizontal",
            "reduceOptions": reduce,
            "showUnfilled": True,
        }
    return {"cellHeight": "sm", "showHeader": True}


def _panel(p: Panel, panel_id: int, grid: dict[str, int]) -> dict[str, Any]:
    panel: dict[str, Any] = {
        "datasource": DATASOURCE,
        "description": p.description,
        "fieldConfig": {"defaults": _field_defaults(p), "overrides": []},
        "gridPos": grid,
        "id": panel_id,
        "options": _options(p),
        "targets": [_target(q, chr(ord("A") + i)) for i, q in enumerate(p.queries)],
        "title": p.title,
        "type": p.type,
    }
    if p.type == "table":
        # Instant table queries return one frame per query: merge them on their shared labels.
        panel["transformations"] = [
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True}}},
        ]
    return panel


def _variable(v: Variable) -> dict[str, Any]:
    return {
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "datasource": DATASOURCE,
        "definition": v.definition,
        "includeAll": True,
        "label": v.label,
        "multi": True,
        "name": v.name,
        "options": [],
        "query": {
            "qryType": 1,
            "query": v.definition,
            "refId": "PrometheusVariableQueryEditor-VariableQuery",
        },
        "refresh": 2,
        "regex": "",
        "sort": 1,
        "type": "query",
    }
