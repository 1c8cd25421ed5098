"""The `load:` section: how many users (closed loop) or requests per second (open loop), for how long."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    model_validator,
)

from harness.config._base import DataFile, StrictModel
from harness.config.errors import invalid


class ConcurrencyProfile(StrictModel):
    """A fixed number of users, each sending its next request when the last one ends."""

    type: Literal["concurrency"]
    users: PositiveInt


class RampProfile(StrictModel):
    """Users grow (or shrink) linearly from start_users to end_users over ramp_s, then hold."""

    type: Literal["ramp"]
    start_users: NonNegativeInt
    end_users: PositiveInt
    ramp_s: PositiveFloat
    segments: PositiveInt = 4  # the ramp is reported as this many stages, then the hold


class Step(StrictModel):
    users: PositiveInt
    duration_s: PositiveFloat
    warmup_s: NonNegativeFloat | None = (
        None  # not measured at the start of this step (default: stage_warmup_s)
    )


class StepsProfile(StrictModel):
    """Each step holds its users for its duration; the run lasts as long as the steps together."""

    type: Literal["steps"]
    steps: list[Step] = Field(min_length=1)

    @property
    def total_s(self) -> float:
        return sum(step.duration_s for step in self.steps)


class SpikeProfile(StrictModel):
    """base_users, jumping to spike_users from spike_at_s for spike_duration_s."""

    type: Literal["spike"]
    base_users: PositiveInt
    spike_users: PositiveInt
    spike_at_s: NonNegativeFloat
    spike_duration_s: PositiveFloat

    @model_validator(mode="after")
    def _spike_above_base(self) -> SpikeProfile:
        if self.spike_users <= self.base_users:
            raise invalid(
                f"spike_users ({self.spike_users}) is not above base_users ({self.base_users})",
                "make spike_users greater than base_users",
                at="spike_users",
            )
        return self


class RateProfile(StrictModel):
    """Open loop: requests start on a schedule whatever the latency, at most max_in_flight at once."""

    type: Literal["rate"]
    rate_rps: PositiveFloat
    arrival: Literal["constant", "poisson"] = "poisson"
    max_in_flight: PositiveInt = 1000


class SweepProfile(StrictModel):
    """A synchronous stage (one user), a throughput probe (``probe_users`` closed-loop users),
    then ``rates`` open-loop rates spread between the two throughputs, one stage each; it stops
    early once the client falls behind or SLO attainment drops below ``stop_below_attainment``."""

    type: Literal["sweep"]
    rates: PositiveInt = 8
    spacing: Literal["linear", "geometric"] = "linear"
    stage_s: PositiveFloat = 20.0
    stage_warmup_s: NonNegativeFloat = 2.0
    probe_users: PositiveInt = 64
    arrival: Literal["constant", "poisson"] = "poisson"
    max_in_flight: PositiveInt = 1000
    stop_below_attainment: float = Field(default=0.5, ge=0.0, le=1.0)

    @property
    def longest_s(self) -> float:
        return (self.rates + 2) * self.stage_s


class TraceProfile(StrictModel):
    """Open loop on a recorded schedule: each request of the trace is sent at its timestamp
    (counted from the trace's first request, divided by ``speedup``) with a prompt synthesised to
    its recorded input length and ``max_tokens`` set to its output length. Requests that share
    ``hash_ids`` blocks (Mooncake) share those prompt blocks. The run lasts as long as the
    (sped-up) trace window unless ``load.duration_s`` says otherwise.

    ``format``: ``mooncake`` (JSONL: ``timestamp`` ms, ``input_length``, ``output_length``,
    ``hash_ids``), ``records`` (an earlier run's ``records.parquet``: its send times and token
    counts) or ``openai-logs`` (the request logs ``slm-harness drift`` reads, docs/drift.md)."""

    type: Literal["trace"]
    source: DataFile
    format: Literal["mooncake", "records", "openai-logs"] = "mooncake"
    speedup: PositiveFloat = 1.0
    # Replay only the requests in [start_s, end_s) seconds of the trace (its first request at 0).
    start_s: NonNegativeFloat = 0.0
    end_s: PositiveFloat | None = None
    block_tokens: PositiveInt = 512  # tokens per hash_ids block (Mooncake traces use 512)
    # A request's input + output beyond this is an error; default: the model's max_model_len.
    max_context_tokens: PositiveInt | None = None
    max_in_flight: PositiveInt = 1000

    @model_validator(mode="after")
    def _window_ordered(self) -> TraceProfile:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise invalid(
                f"end_s ({self.end_s:g}) is not after start_s ({self.start_s:g})",
                "make end_s greater than start_s, or leave it out to replay to the trace's end",
                at="end_s",
            )
        return self


Profile = Annotated[
    ConcurrencyProfile
    | RampProfile
    | StepsProfile
    | SpikeProfile
    | RateProfile
    | SweepProfile
    | TraceProfile,
    Field(discriminator="type"),
]

# Profiles whose users each hold one multi-turn session at a time (conversations need one).
CLOSED_LOOP = (ConcurrencyProfile, RampProfile, StepsProfile, SpikeProfile)


class LoadConfig(StrictModel):
    """Warm-up and cool-down are parts of `duration_s`; only the window between them is measured."""

    profile: Profile
    duration_s: PositiveFloat  # filled in from the steps of a steps profile when left out
    warmup_s: NonNegativeFloat = 0.0
    cooldown_s: NonNegativeFloat = 0.0
    max_requests: PositiveInt | None = None  # stop early after this many requests
    # Not measured at the start of each stage of a multi-stage profile (steps, ramp, spike).
    stage_warmup_s: NonNegativeFloat = 0.0
    # The run fails (exit 1) when more than this share of measured requests failed; by
    # default only a run in which every request failed does.
    max_error_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    spawn_rate: PositiveFloat | None = None  # users started per second; None: all at once

    @model_validator(mode="before")
    @classmethod
    def _duration_from_steps(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "duration_s" not in data:
            profile = data.get("profile")
            if isinstance(profile, dict) and profile.get("type") == "trace":
                duration = _trace_duration(profile, info)
                return data if duration is None else {**data, "duration_s": duration}
            if isinstance(profile, dict) and profile.get("type") == "steps":
                steps = profile.get("steps")
                durations = [s.get("duration_s") for s in steps] if isinstance(steps, list) else []
                if durations and all(
                    isinstance(d, int | float) and not isinstance(d, bool) for d in durations
                ):
                    return {**data, "duration_s": sum(durations)}
            if isinstance(profile, dict) and profile.get("type") == "sweep":
                try:  # the stages decide how long a sweep lasts; this bounds it
                    return {**data, "duration_s": SweepProfile(**profile).longest_s}
                except ValueError:
                    return data  # the profile's own error is reported where it is checked
        return data

    @model_validator(mode="after")
    def _windows_fit(self) -> LoadConfig:
        if self.warmup_s + self.cooldown_s >= self.duration_s:
            raise invalid(
                f"warmup_s + cooldown_s ({self.warmup_s + self.cooldown_s:g} s) leave no measured time "
                f"in duration_s ({self.duration_s:g} s)",
                "shorten warmup_s/cooldown_s or lengthen duration_s",
                at="warmup_s",
            )
        profile = self.profile
        if isinstance(profile, StepsProfile) and abs(profile.total_s - self.duration_s) > 1e-9:
            raise invalid(
                f"is {self.duration_s:g} s but the steps last {profile.total_s:g} s",
                "remove duration_s (the steps define it)",
                at="duration_s",
            )
        if isinstance(profile, RampProfile) and profile.ramp_s > self.duration_s:
            raise invalid(
                f"ramp_s ({profile.ramp_s:g} s) is longer than duration_s ({self.duration_s:g} s)",
                "make ramp_s ≤ duration_s",
                at="profile.ramp_s",
            )
        spike_end = (
            profile.spike_at_s + profile.spike_duration_s if isinstance(profile, SpikeProfile) else 0.0
        )
        if spike_end > self.duration_s:
            raise invalid(
                f"the spike ends at {spike_end:g} s, after duration_s ({self.duration_s:g} s)",
                "make spike_at_s + spike_duration_s ≤ duration_s",
                at="profile.spike_at_s",
            )
        return self


def _trace_duration(profile: dict[str, Any], info: ValidationInfo) -> float | None:
    """How long a trace replay lasts: its window, sped up. Reading the trace here checks it before
    anything starts (a bad line is a one-line ``ConfigError`` naming file:line)."""
    try:
        trace = TraceProfile.model_validate(profile, context=info.context)
    except ValueError:
        return None  # the profile's own error is reported where it is checked
    from harness.workload.trace import replay_seconds  # the workload layer reads trace files

    return replay_seconds(trace)
