"""What the summary needs to know about a run beyond its request records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class StageWindow:
    """A load stage in epoch seconds: requests labelled ``name`` and sent in ``[start + warmup_s,
    end)`` are its measured ones. ``target`` is its planned load (``users`` or ``rate_rps``)."""

    name: str
    start: float
    end: float
    warmup_s: float = 0.0
    target: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class RunMeta:
    """Identity, timing and SLOs of one run.

    ``started_at``/``ended_at`` bound the whole run; ``window_start``/``window_end``
    bound the measured window (after warm-up, before cool-down). All four are epoch
    seconds. An SLO left as None is not configured and not checked.
    """

    run_id: str
    scenario: str
    model: str
    endpoint: str
    api: str
    started_at: float
    ended_at: float
    window_start: float
    window_end: float
    slo_ttft_ms: float | None = None
    slo_tpot_ms: float | None = None
    slo_e2e_ms: float | None = None
    partial: bool = False
    partial_reason: str | None = None
    load_profile: str = ""
    workers: int = 1
    # The run fails when more than this share of measured requests failed (None: only when all did).
    max_error_rate: float | None = None
    # Merged into the summary under "extra" (stages add e.g. cost or energy here).
    extra: dict[str, Any] = field(default_factory=dict)
    # Load stages, each summarised on its own (summary["stages"]).
    stages: list[StageWindow] = field(default_factory=list)
    # Named targets of a run over several endpoints, each summarised on its own (summary["targets"]).
    targets: list[str] = field(default_factory=list)
    # Multi-turn sessions: each turn index summarised on its own (summary["turns"]).
    by_turn: bool = True

    @property
    def window_seconds(self) -> float:
        return self.window_end - self.window_start

    def slos(self) -> dict[str, float]:
        """The configured SLOs keyed as in the summary (``ttft_ms``, ``tpot_ms``, ``e2e_ms``)."""
        configured = {"ttft_ms": self.slo_ttft_ms, "tpot_ms": self.slo_tpot_ms, "e2e_ms": self.slo_e2e_ms}
        return {key: float(value) for key, value in configured.items() if value is not None}
