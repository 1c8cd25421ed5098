"""Where latency bends, and why: the knee of a run's stages and a one-line diagnosis.

Stages ordered by the throughput they delivered; the knee is the first stage at which p99
latency grew (by more than ``NOISE``) faster than throughput did from the stage before. The
diagnosis reads the server's own view of the two stages (queue wait, waiting requests, KV-cache
use from the scraped metrics) and the client's TTFT/TPOT: queueing for admission, slower decode
steps, or a client that fell behind.
"""

from __future__ import annotations

import itertools
from typing import Any

# Relative growth below this is noise, not a bend.
NOISE = 0.10


def knee(stages: list[dict[str, Any]], metric: str = "e2e_ms") -> dict[str, Any] | None:
    """The knee of ``stages`` (summary stage blocks), or None when latency never bends."""
    points = [
        s for s in stages if s["throughput"]["requests_per_s"] and s["latency"][metric]["p99"] is not None
    ]
    points.sort(key=lambda s: s["throughput"]["requests_per_s"])
    for before, at in itertools.pairwise(points):
        latency_growth = at["latency"][metric]["p99"] / before["latency"][metric]["p99"] - 1.0
        throughput_growth = at["throughput"]["requests_per_s"] / before["throughput"]["requests_per_s"] - 1.0
        if latency_growth > NOISE and latency_growth > throughput_growth:
            return {
                "stage": at["name"],
                "after": before["name"],
                "metric": metric,
                "requests_per_s": at["throughput"]["requests_per_s"],
                "latency_growth": latency_growth,
                "throughput_growth": throughput_growth,
                "diagnosis": diagnose(before, at),
            }
    return None


def diagnose(before: dict[str, Any], at: dict[str, Any]) -> str:
    """One line saying why latency grew from ``before`` to ``at``."""
    if at["health"]["overloaded"]:
        return "client limit: the load generator fell behind its schedule; add processes or workers"
    ttft = _pair(before, at, "latency", "ttft_ms", "p50")
    tpot = _pair(before, at, "latency", "tpot_ms", "p50")
    server_b, server_a = before.get("server") or {}, at.get("server") or {}
    if server_b.get("available") and server_a.get("available"):
        waiting = _pair(server_b, server_a, "waiting", "mean")
        queue = _pair(server_b, server_a, "queue_ms", "mean_ms")
        kv = server_a.get("kv_cache_usage_ratio", {}).get("max")
        if _grew(waiting, absolute=0.5) or _grew(queue, absolute=5.0, relative=1.0):
            signs = [f"waiting {_fmt(waiting[0])} → {_fmt(waiting[1])}"]
            if queue[1] is not None:
                signs.append(f"mean server queue wait {_fmt(queue[0])} → {_fmt(queue[1])} ms")
            if kv is not None:
                signs.append(f"KV cache up to {kv:.0%}")
            return f"queueing for admission: requests wait for a batch slot or KV cache ({', '.join(signs)})"
    if _grew(tpot, relative=0.15):
        return (
            "slower decode steps: bigger batches make every token slower "
            f"(TPOT p50 {_fmt(tpot[0])} → {_fmt(tpot[1])} ms)"
        )
    if _grew(ttft, relative=0.5):
        return (
            "queueing before the first token (seen by the client; the server shows no queue metrics): "
            f"TTFT p50 {_fmt(ttft[0])} → {_fmt(ttft[1])} ms while TPOT stays flat"
        )
    return "latency grew with no server-side or token-time sign; look at the network and the client"


def _pair(before: dict[str, Any], at: dict[str, Any], *path: str) -> tuple[float | None, float | None]:
    def get(block: dict[str, Any]) -> float | None:
        value: Any = block
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, int | float) else None

    return get(before), get(at)


def _grew(pair: tuple[float | None, float | None], absolute: float = 0.0, relative: float = 0.0) -> bool:
    before, at = pair
    if before is None or at is None:
        return False
    return at - before > absolute and at > before * (1.0 + relative)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
