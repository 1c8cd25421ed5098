"""The load-test overview: live run metrics from the exporter, and the latest pushed run summaries."""

from __future__ import annotations

from harness.dashboards.grafana import Dashboard, Panel, Query, Row, Variable
from harness.dashboards.promql import by_variables, latest, quantile, sel, sum_rate
from harness.publish import catalogue as c

SCENARIO = Variable("scenario", "Scenario", c.RUN_INFO.name)
MODEL = Variable("model", "Model", c.RUN_INFO.name)
ENDPOINT = Variable("endpoint", "Endpoint", c.RUN_INFO.name)
RUN_VARIABLES = (SCENARIO, MODEL, ENDPOINT)
# Stage and target, as on the request records: live per-request series and pushed summary blocks.
_SLICED = f'{{__name__=~"{c.REQUESTS.name}|{c.RUN_REQUESTS.name}"}}'
STAGE = Variable(c.STAGE, "Stage", _SLICED)
TARGET = Variable(c.TARGET, "Target", _SLICED)
RUN = by_variables(*RUN_VARIABLES)
SLICE = by_variables(*RUN_VARIABLES, STAGE, TARGET)
QUANTILES = (0.5, 0.95, 0.99)
PER_SLICE = "{{scenario}} {{stage}} {{target}}"

LIVE_QUANTILES = (
    "Live: histogram_quantile over the rate window of the exporter's buckets, per scenario, stage "
    "and target. Where a ladder's bounds are at most 5 % apart (docs/metrics.md) it is within 5 % "
    "of the raw-sample percentile."
)
EXACT = "Exact: the run summary's raw-sample figures (slm_run_* gauges pushed when a run ends)."


def _latency_panel(title: str, spec: c.MetricSpec, slo: str | None, description: str) -> Panel:
    queries = [
        Query(
            quantile(q, sel(f"{spec.name}_bucket", SLICE), ("scenario", c.STAGE, c.TARGET)),
            f"p{round(q * 100)} {PER_SLICE}",
        )
        for q in QUANTILES
    ]
    if slo is not None:
        queries.append(Query(sel(c.SLO_THRESHOLD.name, RUN, slo=slo), "SLO {{scenario}}"))
    return Panel(title, queries, f"{description} {LIVE_QUANTILES}", unit="s", width=12)


def _latest_run(expr: str) -> str:
    return latest(expr, sel(c.RUN_TIMESTAMP.name, RUN), c.RUN_LABELS)


def _live() -> Row:
    requests = sel(c.REQUESTS.name, SLICE)
    errors = sel(c.REQUESTS.name, SLICE, outcome=c.OUTCOME_ERROR)
    return Row(
        "Live run",
        [
            Panel(
                "Request rate",
                [Query(sum_rate(requests), "requests/s")],
                "Measured requests completing per second (ok and failed).",
                type="stat",
                unit="reqps",
                width=4,
                height=5,
            ),
            Panel(
                "Error ratio",
                [Query(f"{sum_rate(errors)} / {sum_rate(requests)}", "errors")],
                "Share of measured requests that failed, over the rate window.",
                type="stat",
                unit="percentunit",
                width=4,
                height=5,
            ),
            Panel(
                "Output tokens/s",
                [Query(sum_rate(sel(c.OUTPUT_TOKENS.name, SLICE)), "tokens/s")],
                "Output tokens of successful requests per second.",
                type="stat",
                unit="short",
                width=4,
                height=5,
            ),
            Panel(
                "SLO attainment",
                [Query(sel(c.SLO_ATTAINMENT.name, SLICE), PER_SLICE)],
                "Share of measured requests so far that met every configured SLO (errors fail), "
                "counted request by request as the summary counts it.",
                type="stat",
                unit="percentunit",
                width=4,
                height=5,
                min=0,
                max=1,
            ),
            Panel(
                "In flight",
                [Query(f"sum({sel(c.IN_FLIGHT.name, RUN)})", "requests")],
                "Requests sent and not yet answered.",
                type="stat",
                width=4,
                height=5,
            ),
            Panel(
                "Active users",
                [Query(f"sum({sel(c.ACTIVE_USERS.name, RUN)})", "users")],
                "Simulated users running now.",
                type="stat",
                width=4,
                height=5,
            ),
        ],
    )


def _latency() -> Row:
    return Row(
        "Latency (histogram quantiles over the rate window)",
        [
            _latency_panel(
                "TTFT", c.TTFT, "ttft", "Time to first generated token, with the SLO when one is configured."
            ),
            _latency_panel("TPOT", c.TPOT, "tpot", "Time per output token, (E2E − TTFT) / (N_out − 1)."),
            _latency_panel(
                "ITL", c.ITL, None, "Gaps between content-bearing chunks (a chunk may hold several tokens)."
            ),
            _latency_panel("End-to-end latency", c.E2E, "e2e", "Request sent to last byte of the response."),
        ],
    )


def _throughput() -> Row:
    requests = sel(c.REQUESTS.name, SLICE)
    return Row(
        "Throughput, goodput and errors",
        [
            Panel(
                "Requests/s by outcome",
                [Query(sum_rate(requests, ("outcome",)), "{{outcome}}")],
                "Measured requests per second, ok and failed.",
                unit="reqps",
            ),
            Panel(
                "Errors/s by kind",
                [
                    Query(
                        sum_rate(sel(c.REQUESTS.name, SLICE, outcome=c.OUTCOME_ERROR), ("kind",)), "{{kind}}"
                    )
                ],
                "Failed requests per second by error kind (connect, timeouts, HTTP status, stream faults…).",
                unit="reqps",
            ),
            Panel(
                "Tokens/s",
                [
                    Query(sum_rate(sel(c.OUTPUT_TOKENS.name, SLICE)), "output"),
                    Query(sum_rate(sel(c.INPUT_TOKENS.name, SLICE)), "input"),
                ],
                "Input and output tokens of successful requests per second.",
            ),
            Panel(
                "Goodput",
                [
                    Query(sum_rate(sel(c.GOODPUT.name, SLICE)), "goodput"),
                    Query(sum_rate(sel(c.REQUESTS.name, SLICE, outcome=c.OUTCOME_OK)), "completed"),
                ],
                "Requests/s meeting every SLO, beside all completed requests/s.",
                unit="reqps",
            ),
            Panel(
                "SLO attainment",
                [Query(sel(c.SLO_ATTAINMENT.name, SLICE), PER_SLICE)],
                "Share of measured requests so far that met every SLO, per scenario, stage and target.",
                unit="percentunit",
                min=0,
                max=1,
            ),
            Panel(
                "Concurrency",
                [
                    Query(f"sum({sel(c.IN_FLIGHT.name, RUN)})", "in flight"),
                    Query(f"sum({sel(c.ACTIVE_USERS.name, RUN)})", "active users"),
                ],
                "Requests in flight and simulated users.",
            ),
        ],
    )


def _runs() -> Row:
    p95 = "0.95"
    return Row(
        "Latest pushed run per scenario (Pushgateway; exact, from raw samples)",
        [
            Panel(
                "p95 latency",
                [
                    Query(_latest_run(sel(spec.name, SLICE, quantile=p95)), f"{label} {PER_SLICE}")
                    for label, spec in (
                        ("TTFT", c.RUN_TTFT),
                        ("TPOT", c.RUN_TPOT),
                        ("ITL", c.RUN_ITL),
                        ("E2E", c.RUN_E2E),
                    )
                ],
                f"p95 of the latest finished run of each scenario, as in its summary.json. {EXACT}",
                unit="s",
                width=12,
            ),
            Panel(
                "Throughput",
                [
                    Query(_latest_run(sel(c.RUN_REQUEST_THROUGHPUT.name, SLICE)), f"requests/s {PER_SLICE}"),
                    Query(_latest_run(sel(c.RUN_GOODPUT.name, SLICE)), f"goodput/s {PER_SLICE}"),
                ],
                f"Completed and SLO-meeting requests per second of the latest run. {EXACT}",
                unit="reqps",
                width=6,
            ),
            Panel(
                "Output tokens/s",
                [Query(_latest_run(sel(c.RUN_OUTPUT_THROUGHPUT.name, SLICE)), PER_SLICE)],
                f"Output token throughput of the latest run. {EXACT}",
                width=6,
            ),
            Panel(
                "Error ratio and SLO attainment",
                [
                    Query(_latest_run(sel(c.RUN_ERROR_RATIO.name, SLICE)), f"errors {PER_SLICE}"),
                    Query(_latest_run(sel(c.RUN_SLO_ATTAINMENT.name, SLICE)), f"SLO attainment {PER_SLICE}"),
                ],
                f"Shares of the latest run's measured requests. {EXACT}",
                type="stat",
                unit="percentunit",
                width=12,
                height=6,
            ),
            Panel(
                "Runs",
                [Query(sel(c.RUN_INFO.name, RUN), table=True)],
                "Every run Prometheus knows: live exporters and pushed summaries.",
                type="table",
                width=12,
                height=6,
            ),
        ],
    )


DASHBOARD = Dashboard(
    uid="slm-load",
    title="SLM harness · Load test overview",
    description="Live load-test metrics from the harness exporter and the latest pushed run summaries.",
    variables=(*RUN_VARIABLES, STAGE, TARGET),
    rows=[_live(), _latency(), _throughput(), _runs()],
)
