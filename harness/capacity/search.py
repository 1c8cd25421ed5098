"""The SLO capacity search: the highest load whose SLO attainment meets a target.

By rate (open loop, what production traffic is): a throughput probe (``probe_users``
closed-loop users) finds the most the endpoint delivers (``max_rps``) and a synchronous stage
(one user) checks that one request at a time meets the SLOs. The search then brackets: an
open-loop stage at ``max_rps`` — if it passes, the SLOs do not bind below capacity — and
bisects between the synchronous throughput (passing) and the lowest failing rate until the two
are within ``precision`` of each other; ``slo_rps`` is the highest passing rate.

By concurrency: the same with closed-loop users, bisected between 1 and ``probe_users``.

Each probe is judged by ``probe.judge``: a probe too short to decide is extended (up to
``max_extensions`` more stage lengths), never guessed from too few requests; a probe whose
client fell behind ends the search, since it says nothing about the endpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from harness.analysis.knee import knee
from harness.capacity.probe import Verdict, delivered_rate, judge
from harness.jobs.staged import StageSpec

THROUGHPUT, SYNC = "throughput", "sync"


@dataclass(frozen=True)
class SearchSettings:
    by: Literal["rate", "concurrency"] = "rate"
    attainment: float = 0.99
    precision: float = 0.05
    stage_s: float = 10.0
    stage_warmup_s: float = 2.0
    probe_users: int = 64
    max_extensions: int = 3
    arrival: str = "poisson"
    max_in_flight: int = 1000


@dataclass
class Probe:
    spec: StageSpec
    verdict: Verdict
    requests_per_s: float | None

    @property
    def load(self) -> float:
        return float(self.spec.rate_rps if self.spec.rate_rps is not None else self.spec.users or 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.spec.name,
            **self.spec.target(),
            "requests_per_s": self.requests_per_s,
            **self.verdict.as_dict(),
        }


class CapacitySearch:
    name = "capacity"

    def __init__(self, settings: SearchSettings) -> None:
        self.s = settings
        self.probes: list[Probe] = []
        self.max_rps: float | None = None
        self.low: float | None = None  # highest load known to pass
        self.high: float | None = None  # lowest load known to fail
        self.best: Probe | None = None  # the stage at the highest passing load
        self.limit: str | None = None  # why the search ended, once it has

    # Planning -----------------------------------------------------------------------------
    def next_stage(self) -> StageSpec | None:
        if self.limit is not None:
            return None
        if self.max_rps is None:
            return self._closed(THROUGHPUT, self.s.probe_users, extend=False)
        if self.low is None:
            return self._closed(SYNC, 1)
        if self.high is None and self.s.by == "rate":
            return self._open(self.max_rps)
        assert self.high is not None
        if self._converged():
            self.limit = "slo"
            return None
        middle = (self.low + self.high) / 2
        if self.s.by == "concurrency":
            return self._closed(f"users{math.floor(middle)}", math.floor(middle))
        return self._open(middle)

    def _converged(self) -> bool:
        assert self.low is not None and self.high is not None
        if self.s.by == "concurrency":
            return self.high - self.low <= max(1.0, self.s.precision * self.high)
        return (self.high - self.low) <= self.s.precision * self.high

    def _closed(self, name: str, users: int, extend: bool = True) -> StageSpec:
        return StageSpec(
            name,
            users=users,
            min_s=self.s.stage_s,
            max_s=self.s.stage_s * (1 + self.s.max_extensions) if extend else None,
            warmup_s=self.s.stage_warmup_s,
        )

    def _open(self, rate: float) -> StageSpec:
        rate = round(rate, 3)
        return StageSpec(
            f"rate{len(self.probes)}",
            rate_rps=rate,
            min_s=self.s.stage_s,
            max_s=self.s.stage_s * (1 + self.s.max_extensions),
            warmup_s=self.s.stage_warmup_s,
            arrival=self.s.arrival,
            max_in_flight=self.s.max_in_flight,
        )

    # Reading stages ---------------------------------------------------------------------
    def decided(self, spec: StageSpec, summary: dict[str, Any]) -> bool:
        if spec.name == THROUGHPUT:
            return False
        return judge(summary, self.s.attainment, final=False).passed is not None

    def observe(self, spec: StageSpec, summary: dict[str, Any]) -> None:
        verdict = judge(summary, self.s.attainment, final=True)
        rps = summary["throughput"]["requests_per_s"]
        sustained = delivered_rate(summary)
        probe = Probe(spec, verdict, rps)
        self.probes.append(probe)
        if verdict.decided_by == "client":
            self.limit = "client"
            return
        if sustained is not None:
            self.max_rps = max(self.max_rps or 0.0, sustained)
        if spec.name == THROUGHPUT:
            if self.s.by == "concurrency":
                self._record(probe, float(self.s.probe_users))
            return
        if spec.name == SYNC:
            if not verdict.passed:
                self.limit = "unmet_at_one_request"
                return
            self.low = (rps or 0.0) if self.s.by == "rate" else 1.0
            self.best = probe
            return
        self._record(probe, probe.load)

    def _record(self, probe: Probe, load: float) -> None:
        if probe.verdict.passed:
            if self.low is None or load > self.low:
                self.low, self.best = load, probe
            if self.high is None:  # the heaviest load tried passed: the SLOs do not bind below it
                self.limit = "max_load"
        else:
            self.high = load if self.high is None else min(self.high, load)

    # The answer ------------------------------------------------------------------------------
    def block(self, summary: dict[str, Any]) -> dict[str, Any]:
        stages = {s["name"]: s for s in summary["stages"]}
        at_slo = stages.get(self.best.spec.name) if self.best is not None else None
        cost = (at_slo or {}).get("cost") or {}
        gpu = (at_slo or {}).get("gpu") or {}
        unmet = self.limit == "unmet_at_one_request"
        answer: dict[str, Any] = {
            "by": self.s.by,
            "max_rps": self.max_rps,
            "slo_rps": 0.0 if unmet else (at_slo or {}).get("throughput", {}).get("requests_per_s"),
            "slo_attainment_target": self.s.attainment,
            "precision": self.s.precision,
            "slos": summary["goodput"]["slos"],
            "limit": self.limit or "incomplete",
            "slo_stage": self.best.spec.name if self.best is not None and not unmet else None,
            "concurrency_at_slo": (at_slo or {}).get("concurrency", {}).get("mean"),
            "cost_per_query_usd_at_slo": cost.get("cost_per_query_usd"),
            "energy_per_output_token_j_at_slo": (gpu.get("total") or {}).get("j_per_output_token"),
            "stages_run": len(self.probes),
            "probes": [p.as_dict() for p in self.probes],
            "knee": knee(summary["stages"]),
        }
        if self.s.by == "rate":
            # The highest offered rate that met the target (the throughput it delivered is beside it).
            offered = self.best.spec.rate_rps if self.best is not None else None
            answer["slo_rps"] = 0.0 if unmet else (offered if offered is not None else answer["slo_rps"])
            answer["slo_delivered_rps"] = (
                None if unmet else (at_slo or {}).get("throughput", {}).get("requests_per_s")
            )
        else:
            answer["slo_concurrency"] = (
                0 if unmet else (self.best.spec.users if self.best is not None else None)
            )
        return {"capacity": answer}
