"""The `simulator:` section: settings of the embedded simulator, used when no endpoint is set.

Every field is a `harness.sim.config.SimConfig` field with the simulator's own default, so the
section maps onto it one to one (`SimConfig(**options.model_dump(), ...)`). Where the simulator
listens and which golden files it answers are chosen by the run, not here.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any

from pydantic import Field, NonNegativeFloat, PositiveInt, field_validator

from harness.config._base import StrictModel
from harness.config.errors import invalid
from harness.sim.config import SimConfig
from harness.sim.profiles import PROFILES

_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(SimConfig)}

# A probability per request.
Rate = Annotated[float, Field(ge=0.0, le=1.0)]


class SimulatorOptions(StrictModel):
    """Ignored when the scenario names an endpoint or a server. See `harness.sim.config` for each field."""

    model: str = Field(default=_DEFAULTS["model"], min_length=1)
    ttft_ms: NonNegativeFloat = _DEFAULTS["ttft_ms"]
    itl_ms: NonNegativeFloat = _DEFAULTS["itl_ms"]
    prefill_ms_per_token: NonNegativeFloat = _DEFAULTS["prefill_ms_per_token"]
    batch_slowdown: NonNegativeFloat = _DEFAULTS["batch_slowdown"]
    jitter_ms: NonNegativeFloat = _DEFAULTS["jitter_ms"]
    max_num_seqs: PositiveInt = _DEFAULTS["max_num_seqs"]
    kv_capacity_tokens: PositiveInt = _DEFAULTS["kv_capacity_tokens"]
    output_tokens: PositiveInt = _DEFAULTS["output_tokens"]
    seed: int = _DEFAULTS["seed"]
    error_rate: Rate = _DEFAULTS["error_rate"]
    rate_limit_rate: Rate = _DEFAULTS["rate_limit_rate"]
    stall_rate: Rate = _DEFAULTS["stall_rate"]
    stall_ms: NonNegativeFloat = _DEFAULTS["stall_ms"]
    truncate_rate: Rate = _DEFAULTS["truncate_rate"]
    malformed_rate: Rate = _DEFAULTS["malformed_rate"]
    reset_rate: Rate = _DEFAULTS["reset_rate"]
    midstream_error_rate: Rate = _DEFAULTS["midstream_error_rate"]
    golden_accuracy: Rate = _DEFAULTS["golden_accuracy"]
    golden_accuracy_by_tag: dict[str, Rate] = Field(default_factory=dict)
    drift_profile: str = _DEFAULTS["drift_profile"]
    request_log: str = _DEFAULTS["request_log"]  # a file: one JSON line per request received

    @field_validator("drift_profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise invalid(f"unknown drift profile {value!r}", "use one of: " + ", ".join(PROFILES))
        return value
