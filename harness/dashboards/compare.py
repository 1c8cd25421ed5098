"""Targets compared: A and B (and more) of a multi-target run on the same panels.

Live panels read the exporter's per-target histograms while a run lasts; the others read what
the run pushed when it ended: each target's summary block (``slm_run_*`` with ``target``) and
the comparison (answer agreement, paired golden accuracy) from the newest run per scenario.
"""

from __future__ import annotations

from harness.dashboards.grafana import Dashboard, Panel, Query, Row, Variable
from harness.dashboards.promql import by_variables, latest, quantile, sel
from harness.publish import catalogue as c

SCENARIO = Variable("scenario", "Scenario", c.RUN_INFO.name)
TARGET = Variable(c.TARGET, "Target", f'{c.RUN_REQUESTS.name}{{target!=""}}')
RUN = by_variables(SCENARIO)
# The selected named targets, whole-run blocks: "All" (.*) must not bring in the run's own slice
# (target="", every target's requests together) nor stage blocks.
NAMED = {**by_variables(SCENARIO), c.TARGET: '=~"$target"', "stage": '=""'}


def _named(metric: str, **exact: str) -> str:
    return sel(metric, NAMED, **exact).replace("}", f', {c.TARGET}!=""}}', 1)


def _newest(expr: str) -> str:
    return latest(expr, sel(c.RUN_TIMESTAMP.name, RUN), ("scenario",))


def _latency() -> Row:
    panels = [
        Panel(
            f"{title} p50 and p95 by target (latest run)",
            [
                Query(_newest(_named(spec.name, quantile=q)), f"{{{{target}}}} p{label}")
                for q, label in (("0.5", "50"), ("0.95", "95"))
            ],
            f"Raw-sample {title} percentiles of each target's requests in the newest run.",
            type="bargauge",
            unit="s",
            width=8,
        )
        for title, spec in (("TTFT", c.RUN_TTFT), ("TPOT", c.RUN_TPOT), ("ITL", c.RUN_ITL))
    ]
    live = Panel(
        "Live TTFT p50 by target",
        [
            Query(
                quantile(0.5, _named(f"{c.TTFT.name}_bucket"), ("scenario", c.TARGET)),
                "{{target}}",
            )
        ],
        "histogram_quantile over the rate window of the exporter's per-target TTFT buckets.",
        unit="s",
        width=24,
    )
    return Row("Latency", [*panels, live])


def _throughput() -> Row:
    return Row(
        "Throughput and errors",
        [
            Panel(
                "Throughput and goodput by target (latest run)",
                [
                    Query(_newest(_named(c.RUN_REQUEST_THROUGHPUT.name)), "{{target}} throughput"),
                    Query(_newest(_named(c.RUN_GOODPUT.name)), "{{target}} goodput"),
                ],
                "Responses completed inside the window per second, and those that met every SLO.",
                type="bargauge",
                unit="reqps",
                width=12,
            ),
            Panel(
                "Error ratio by target (latest run)",
                [Query(_newest(_named(c.RUN_ERROR_RATIO.name)), "{{target}}")],
                "Share of each target's measured requests that failed.",
                type="bargauge",
                unit="percentunit",
                width=12,
                min=0,
                max=1,
            ),
        ],
    )


def _answers() -> Row:
    answers = by_variables(SCENARIO, TARGET)
    agreement = _newest(sel(c.ANSWER_AGREEMENT.name, answers))
    accuracy = _newest(sel(c.COMPARE_ACCURACY.name, answers))
    p_value = _newest(sel(c.COMPARE_ACCURACY_P_VALUE.name, answers))
    return Row(
        "Answers",
        [
            Panel(
                "Agreement with the reference (latest run)",
                [Query(agreement, "{{target}} vs {{reference}} {{measure}}")],
                "Share of paired prompts answered alike: exact, normalised; token_f1 is the mean "
                "token-level F1 of the pairs.",
                type="bargauge",
                unit="percentunit",
                width=10,
                min=0,
                max=1,
            ),
            Panel(
                "Golden accuracy on paired items (latest run)",
                [Query(accuracy, "{{target}}")],
                "Each target's accuracy on the golden items answered by it and the reference.",
                type="bargauge",
                unit="percentunit",
                width=8,
                min=0,
                max=1,
            ),
            Panel(
                "McNemar p-value of the accuracy difference",
                [Query(p_value, "{{target}} vs {{reference}}")],
                "Exact McNemar test on the paired items: below 0.05 the difference is significant.",
                type="stat",
                width=6,
            ),
        ],
    )


DASHBOARD = Dashboard(
    uid="slm-compare",
    title="SLM harness · Targets compared",
    description="A/B and shadow runs: the targets of one scenario side by side (latency, throughput, "
    "answer agreement, golden accuracy).",
    variables=(SCENARIO, TARGET),
    rows=[_latency(), _throughput(), _answers()],
    refresh="1m",
    time_from="now-7d",
)
