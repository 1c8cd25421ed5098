"""Can the numbers be trusted? Plain-English warnings about the run itself."""

from __future__ import annotations

from typing import Any

from harness.protocol.errors import CANCELLED, CLIENT

# p99 schedule lag above this means the load generator could not send on time: the
# arrival rate it reports was not the rate the endpoint saw.
SCHEDULE_LAG_OVERLOAD_MS = 100.0

# Two token counts disagreeing on more than this share of requests deserves a look.
TOKEN_MISMATCH_WARN_RATE = 0.05

# The load generator's process saturated (see harness.load.cpu) this long or longer cannot be
# trusted to send and time requests promptly.
CLIENT_CPU_SATURATED_S = 3.0

# Above this many tokens per chunk, ITL measures chunk gaps rather than token gaps.
TOKENS_PER_CHUNK_WARN = 1.05

# Beyond this share of what its processes can do, the client's own queueing shows in latency.
CLIENT_SAFE_SHARE = 0.7


def client_capacity_rps(summary: dict[str, Any]) -> float | None:
    """Requests per second the load processes could send at full use of their cores: processes
    divided by the CPU seconds the client spent per request in this run (its scenario's shape)."""
    cpu = summary.get("extra", {}).get("client_cpu") or {}
    seconds, recorded = cpu.get("cpu_seconds"), summary["requests"]["recorded"]
    if not seconds or not recorded:
        return None
    return float(cpu.get("processes", 1)) * recorded / seconds


def failure(summary: dict[str, Any], max_error_rate: float | None) -> str | None:
    """Why the run failed (its exit code is then 1): every measured request failed, or more than
    ``max_error_rate`` of them did. None when it did not fail."""
    requests, errors = summary["requests"], summary["errors"]
    if not requests["total"]:
        return None
    kinds = ", ".join(f"{kind} {n}" for kind, n in errors["by_kind"].items() if n)
    if requests["completed"] == 0:
        return f"every one of the {requests['total']} measured requests failed ({kinds})"
    if max_error_rate is not None and errors["rate"] > max_error_rate:
        return (
            f"{errors['rate']:.1%} of the {requests['total']} measured requests failed ({kinds}), "
            f"more than load.max_error_rate {max_error_rate:.1%}"
        )
    return None


def assess(summary: dict[str, Any], max_error_rate: float | None = None) -> dict[str, Any]:
    """The ``health`` section, from the other sections of a summary."""
    lag_p99 = summary["latency"]["schedule_lag_ms"]["p99"]
    overloaded = lag_p99 is not None and lag_p99 > SCHEDULE_LAG_OVERLOAD_MS
    warnings: list[str] = []
    run = summary["run"]
    if run["partial"]:
        warnings.append(f"Partial run: {run['partial_reason'] or 'stopped before the end'}.")
    if overloaded:
        warnings.append(
            f"The load generator fell behind: p99 schedule lag {lag_p99:.0f} ms > "
            f"{SCHEDULE_LAG_OVERLOAD_MS:.0f} ms. Add workers or lower the rate; "
            "the offered load was lower than configured."
        )
    requests = summary["requests"]
    if requests["total"] == 0:
        warnings.append("No requests in the measured window.")
    elif requests["completed"] == 0:
        warnings.append("No request succeeded in the measured window: latency statistics are empty.")
    client_errors = summary["errors"]["by_kind"].get(CLIENT, 0)
    if client_errors:
        warnings.append(
            f"{client_errors} request(s) failed inside the harness (error kind '{CLIENT}'), "
            "not at the endpoint."
        )
    cancelled = summary["errors"]["by_kind"].get(CANCELLED, 0)
    if cancelled:
        warnings.append(
            f"{cancelled} measured request(s) were still in flight when the run stopped and were "
            f"cancelled (error kind '{CANCELLED}'); they count as errors."
        )
    tokens = summary["tokens"]
    if tokens["estimated"]:
        warnings.append("Output token counts are estimated from chunk counts (the server sent no usage).")
    mismatch = tokens["mismatch_rate"]
    if mismatch is not None and mismatch > TOKEN_MISMATCH_WARN_RATE:
        warnings.append(f"Two token counts disagree on {mismatch:.0%} of requests.")
    per_chunk = tokens["tokens_per_chunk_mean"]
    if per_chunk is not None and per_chunk > TOKENS_PER_CHUNK_WARN:
        warnings.append(
            f"Chunks carry {per_chunk:.2f} tokens on average: ITL is the gap between chunks, not tokens."
        )
    unmeasured = summary["goodput"].get("not_measurable") or []
    if unmeasured:
        warnings.append(
            f"SLO {', '.join(unmeasured)} not judged: the answers were not streamed, so TTFT and TPOT "
            "were not measured. Stream (endpoint.stream: true) to judge them."
        )
    cpu = summary.get("extra", {}).get("client_cpu")
    cpu_saturated = bool(cpu) and cpu.get("saturated_s", 0.0) >= CLIENT_CPU_SATURATED_S
    if cpu_saturated:
        overloaded = True
        warnings.append(
            f"The load generator's CPU was saturated (≥ {cpu['threshold_percent']:.0f} % of a core) for "
            f"{cpu['saturated_s']:.0f} s: latencies may include client-side delay. Add workers."
        )
    capacity = client_capacity_rps(summary)
    rate = summary["throughput"]["offered_rps"] or summary["throughput"]["requests_per_s"]
    client_bound = capacity is not None and rate is not None and rate > CLIENT_SAFE_SHARE * capacity
    if client_bound:
        warnings.append(
            f"The client ran at {rate / capacity:.0%} of its own capacity ({capacity:.0f} req/s for this "
            "scenario from its CPU per request): latency includes time in the client, not only in the "
            "server. Add processes (--processes) or workers."
        )
    return {
        "failed": failure(summary, max_error_rate),
        "client_capacity_rps": capacity,
        "client_bound": client_bound,
        "overloaded": overloaded,
        "schedule_lag_p99_ms": lag_p99,
        "client_cpu_max_percent": cpu.get("max_percent") if cpu else None,
        "warnings": warnings,
    }
