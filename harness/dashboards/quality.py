"""Quality and drift: golden-set accuracy, gate verdicts (with accuracy against the baseline) and
drift reports.

All of it comes from batch jobs through the Pushgateway; each panel shows the pushing job's
newest run per model and endpoint, so over time the graphs step from one run's result to the
next. The gate republishes the golden accuracy of both runs it compares, hence the job matcher.
"""

from __future__ import annotations

from harness.dashboards.grafana import Dashboard, Panel, Query, Row, Variable
from harness.dashboards.promql import by_variables, latest, sel
from harness.publish import catalogue as c

# Every batch job pushes its end-time gauge: the models and endpoints any of them saw.
_JOB_STAMPS = f'{{__name__=~"{c.GOLDEN_TIMESTAMP.name}|{c.GATE_TIMESTAMP.name}|{c.DRIFT_TIMESTAMP.name}"}}'
MODEL = Variable("model", "Model", _JOB_STAMPS)
ENDPOINT = Variable("endpoint", "Endpoint", _JOB_STAMPS)
GOLDEN_SET = Variable("golden_set", "Golden set", c.GOLDEN_ACCURACY.name)
TARGET = by_variables(MODEL, ENDPOINT)
GOLDEN = by_variables(MODEL, ENDPOINT, GOLDEN_SET)


def _newest(spec: c.MetricSpec, stamp: c.MetricSpec, filters: dict[str, str], job: str) -> str:
    """``spec`` as pushed by ``job``, from that job's newest run per model and endpoint."""
    return latest(sel(spec.name, filters, job=job), sel(stamp.name, TARGET), c.TARGET_LABELS)


def _golden() -> Row:
    accuracy = _newest(c.GOLDEN_ACCURACY, c.GOLDEN_TIMESTAMP, GOLDEN, c.JOB_GOLDEN)
    items = _newest(c.GOLDEN_ITEMS, c.GOLDEN_TIMESTAMP, GOLDEN, c.JOB_GOLDEN)
    return Row(
        "Golden sets",
        [
            Panel(
                "Accuracy (latest golden run)",
                [Query(accuracy, "{{golden_set}}")],
                "Weighted share of scored items answered correctly in the newest golden run.",
                type="stat",
                unit="percentunit",
                width=6,
                min=0,
                max=1,
            ),
            Panel(
                "Accuracy over golden runs",
                [Query(accuracy, "{{golden_set}}")],
                "Each golden run's accuracy per set, stepping from one run to the next.",
                unit="percentunit",
                width=12,
                min=0,
                max=1,
            ),
            Panel(
                "Items by result (latest golden run)",
                [
                    Query(
                        f"sum by (result) ({items})",
                        "{{result}}",
                    )
                ],
                "Correct, incorrect and errored (transport failure after retries, never scored) items.",
                type="bargauge",
                width=6,
            ),
        ],
    )


def _gate() -> Row:
    return Row(
        "Gate (candidate run against its baseline)",
        [
            Panel(
                "Rules (latest evaluation)",
                [Query(_newest(c.GATE_PASSED, c.GATE_TIMESTAMP, TARGET, c.JOB_GATE), "{{gate}}")],
                "Each gate rule's verdict in the newest evaluation.",
                type="stat",
                width=9,
                height=6,
                value_text={"1": ("PASS", "green"), "0": ("FAIL", "red")},
            ),
            Panel(
                "Failed rules",
                [
                    Query(
                        _newest(c.GATE_FAILED, c.GATE_TIMESTAMP, TARGET, c.JOB_GATE), "{{model}} {{endpoint}}"
                    )
                ],
                "How many gate rules failed in each evaluation.",
                width=5,
                height=6,
            ),
            Panel(
                "Golden accuracy against baseline",
                [
                    Query(_newest(c.GOLDEN_ACCURACY, c.GATE_TIMESTAMP, GOLDEN, c.JOB_GATE), "{{golden_set}}"),
                    Query(
                        _newest(c.GOLDEN_BASELINE_ACCURACY, c.GATE_TIMESTAMP, GOLDEN, c.JOB_GATE),
                        "baseline {{golden_set}}",
                    ),
                ],
                "The candidate's accuracy per golden set beside the baseline's, evaluation by evaluation; "
                "SLMGoldenAccuracyDrop fires when it is more than 5 points lower.",
                unit="percentunit",
                width=10,
                height=6,
                min=0,
                max=1,
            ),
        ],
    )


def _drift() -> Row:
    return Row(
        "Drift (reference window against current window)",
        [
            Panel(
                "Drift detected (latest report)",
                [
                    Query(
                        _newest(c.DRIFT_DETECTED, c.DRIFT_TIMESTAMP, TARGET, c.JOB_DRIFT),
                        "{{model}} {{endpoint}}",
                    )
                ],
                "Whether the newest drift report flagged any drifted feature.",
                type="stat",
                width=6,
                value_text={"1": ("DRIFT", "red"), "0": ("NO DRIFT", "green")},
            ),
            Panel(
                "Drifted feature share",
                [
                    Query(
                        _newest(c.DRIFT_SHARE, c.DRIFT_TIMESTAMP, TARGET, c.JOB_DRIFT),
                        "{{model}} {{endpoint}}",
                    )
                ],
                "Share of monitored features whose distribution drifted, report by report.",
                unit="percentunit",
                width=9,
                min=0,
                max=1,
            ),
            Panel(
                "Feature drift scores (latest report)",
                [
                    Query(
                        _newest(c.DRIFT_FEATURE_SCORE, c.DRIFT_TIMESTAMP, TARGET, c.JOB_DRIFT), "{{feature}}"
                    )
                ],
                "Per-feature drift statistic of the newest report.",
                type="bargauge",
                width=9,
            ),
        ],
    )


DASHBOARD = Dashboard(
    uid="slm-quality-drift",
    title="SLM harness · Quality and drift",
    description="Golden-set accuracy against baseline, gate verdicts and drift reports (pushed batch jobs).",
    variables=(MODEL, ENDPOINT, GOLDEN_SET),
    rows=[_golden(), _gate(), _drift()],
    refresh="1m",
    time_from="now-30d",
)
