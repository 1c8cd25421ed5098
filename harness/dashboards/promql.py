"""PromQL building blocks shared by the dashboards (and the alert rules' documentation).

Every selector filters by the dashboard's template variables with ``=~`` so that the "All"
choice (``.*``) also matches series where a label is empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.dashboards.grafana import Variable

RATE_WINDOW = "$__rate_interval"


def by_variables(*variables: Variable) -> dict[str, str]:
    """Matchers ``label=~"$variable"`` for each variable (its source label when it has one)."""
    return {v.source_label or v.name: f'=~"${v.name}"' for v in variables}


def sel(metric: str, filters: dict[str, str], **exact: str) -> str:
    """``metric{filters..., label="value"...}``."""
    parts = [f"{label}{match}" for label, match in filters.items()]
    parts += [f'{label}="{value}"' for label, value in exact.items()]
    return f"{metric}{{{', '.join(parts)}}}"


def rate(selector: str) -> str:
    return f"rate({selector}[{RATE_WINDOW}])"


def sum_rate(selector: str, by: Sequence[str] = ()) -> str:
    grouping = f" by ({', '.join(by)})" if by else ""
    return f"sum{grouping} ({rate(selector)})"


def quantile(q: float, bucket_selector: str, by: Sequence[str] = ()) -> str:
    """The ``q`` quantile of a histogram over the rate window (``bucket_selector`` names ``*_bucket``)."""
    return f"histogram_quantile({q}, {sum_rate(bucket_selector, ('le', *by))})"


def latest(expr: str, stamp_selector: str, by: Sequence[str]) -> str:
    """``expr`` restricted to the newest pushed run per ``by`` group.

    Pushed runs stay in the Pushgateway side by side (``run_id`` in the grouping key); each push
    carries a ``*_timestamp_seconds`` gauge, and the largest one per group marks the latest run.
    """
    return f"{expr} and on (run_id) topk by ({', '.join(by)}) (1, {stamp_selector})"
