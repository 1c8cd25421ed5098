"""vLLM server internals from the server's own ``/metrics`` (vLLM v1 names), beside the client view.

The harness's built-in simulator exports the same names for the metrics it models (queue,
batch, KV cache, token counters, latency histograms), so most panels also fill against it.
"""

from __future__ import annotations

from harness.dashboards.grafana import Dashboard, Panel, Query, Row, Variable
from harness.dashboards.promql import by_variables, quantile, sel, sum_rate
from harness.publish import catalogue as c

RUNNING = "vllm:num_requests_running"
WAITING = "vllm:num_requests_waiting"
KV_CACHE_USAGE = "vllm:kv_cache_usage_perc"
PROMPT_TOKENS = "vllm:prompt_tokens_total"
GENERATION_TOKENS = "vllm:generation_tokens_total"
REQUEST_SUCCESS = "vllm:request_success_total"
PREEMPTIONS = "vllm:num_preemptions_total"
PREFIX_CACHE_QUERIES = "vllm:prefix_cache_queries_total"
PREFIX_CACHE_HITS = "vllm:prefix_cache_hits_total"
TTFT = "vllm:time_to_first_token_seconds"
ITL = "vllm:inter_token_latency_seconds"
E2E = "vllm:e2e_request_latency_seconds"
QUEUE_TIME = "vllm:request_queue_time_seconds"
PREFILL_TIME = "vllm:request_prefill_time_seconds"
DECODE_TIME = "vllm:request_decode_time_seconds"

MODEL = Variable("model", "Model", RUNNING, source_label="model_name")
INSTANCE = Variable("instance", "Server", RUNNING)
SERVER = by_variables(MODEL, INSTANCE)
QUANTILES = (0.5, 0.95, 0.99)


def _quantiles(title: str, histogram: str, description: str) -> Panel:
    return Panel(
        title,
        [Query(quantile(q, sel(f"{histogram}_bucket", SERVER)), f"p{round(q * 100)}") for q in QUANTILES],
        description,
        unit="s",
    )


def _scheduler() -> Row:
    return Row(
        "Scheduler and KV cache",
        [
            Panel(
                "Running and waiting requests",
                [
                    Query(f"sum({sel(RUNNING, SERVER)})", "running"),
                    Query(f"sum({sel(WAITING, SERVER)})", "waiting"),
                ],
                "Requests in the running batch and in the waiting queue.",
            ),
            Panel(
                "KV-cache usage",
                [Query(sel(KV_CACHE_USAGE, SERVER), "{{instance}}")],
                "Share of KV-cache blocks in use (1 = full: new requests wait or preempt).",
                unit="percentunit",
                min=0,
                max=1,
            ),
            Panel(
                "Preemptions/s",
                [Query(sum_rate(sel(PREEMPTIONS, SERVER)), "preemptions")],
                "Sequences evicted from the batch for lack of KV-cache space.",
            ),
            Panel(
                "Prefix-cache hit ratio",
                [
                    Query(
                        f"{sum_rate(sel(PREFIX_CACHE_HITS, SERVER))}"
                        f" / {sum_rate(sel(PREFIX_CACHE_QUERIES, SERVER))}",
                        "hits",
                    )
                ],
                "Share of queried prompt tokens served from the prefix cache.",
                unit="percentunit",
                min=0,
                max=1,
            ),
            Panel(
                "Tokens/s",
                [
                    Query(sum_rate(sel(PROMPT_TOKENS, SERVER)), "prompt (prefill)"),
                    Query(sum_rate(sel(GENERATION_TOKENS, SERVER)), "generation"),
                ],
                "Prefill and generated tokens processed per second by the server.",
            ),
            Panel(
                "Finished requests/s by reason",
                [Query(sum_rate(sel(REQUEST_SUCCESS, SERVER), ("finished_reason",)), "{{finished_reason}}")],
                "stop (EOS or stop string), length (max_tokens), abort.",
                unit="reqps",
            ),
        ],
    )


def _latency() -> Row:
    # The harness labels its series with the served model name, which vLLM calls model_name.
    client_ttft = sel(f"{c.TTFT.name}_bucket", {"model": SERVER["model_name"]})
    return Row(
        "Server-side latency",
        [
            _quantiles("TTFT (server)", TTFT, "Time to first token as the server measures it."),
            _quantiles("Inter-token latency (server)", ITL, "Gaps between generated tokens, server side."),
            _quantiles("E2E latency (server)", E2E, "Arrival to last token, server side."),
            _quantiles("Queue time", QUEUE_TIME, "Time requests spent waiting before scheduling."),
            Panel(
                "Prefill and decode time (p95)",
                [
                    Query(quantile(0.95, sel(f"{PREFILL_TIME}_bucket", SERVER)), "prefill"),
                    Query(quantile(0.95, sel(f"{DECODE_TIME}_bucket", SERVER)), "decode"),
                ],
                "Per-request time in the prefill and decode phases.",
                unit="s",
            ),
            Panel(
                "TTFT p95: client against server",
                [
                    Query(quantile(0.95, client_ttft), "client (harness)"),
                    Query(quantile(0.95, sel(f"{TTFT}_bucket", SERVER)), "server (vLLM)"),
                ],
                "The gap is network, HTTP and streaming overhead between the server and the harness.",
                unit="s",
            ),
        ],
    )


DASHBOARD = Dashboard(
    uid="slm-vllm",
    title="SLM harness · vLLM server internals",
    description="vLLM's own metrics (v1 names): batch, queue, KV cache, tokens and server-side latency.",
    variables=(MODEL, INSTANCE),
    rows=[_scheduler(), _latency()],
)
