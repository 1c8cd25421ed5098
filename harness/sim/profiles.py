"""Drift profiles: named shifts of the simulator's behaviour.

A profile scales latency and output length, changes golden accuracy and re-weights
the prompt topic mix. The live simulator applies one to every response; the
synthetic production-log generator applies them week by week.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DriftProfile:
    name: str
    latency_scale: float = 1.0  # multiplies TTFT and inter-token latency
    output_len_scale: float = 1.0  # multiplies the number of generated tokens
    accuracy: float | None = None  # golden answer accuracy; None keeps the configured one
    # Relative weights of prompt topics (used by log generators); empty = unchanged mix.
    topic_weights: dict[str, float] = field(default_factory=dict)


PROFILES: dict[str, DriftProfile] = {
    p.name: p
    for p in (
        DriftProfile("none"),
        DriftProfile("slower", latency_scale=1.3),
        DriftProfile("longer-outputs", output_len_scale=1.3),
        DriftProfile("shorter-outputs", output_len_scale=0.7),
        DriftProfile("accuracy-drop", accuracy=0.80),
        DriftProfile("topic-shift", topic_weights={"billing": 4.0, "technical": 0.5}),
    )
}


def get_profile(name: str) -> DriftProfile:
    """Return the named profile; raises KeyError naming the valid ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown drift profile {name!r}; known: {', '.join(PROFILES)}") from None
