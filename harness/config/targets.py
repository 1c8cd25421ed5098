"""The `targets:` and `compare:` sections: several named endpoints loaded by one scenario.

Each target is an endpoint (every `endpoint:` key applies) with a `name`, its own `cost:`, and,
instead of a `base_url`, optionally `simulator:` settings for an embedded simulator of its own.
The targets share one workload and one load profile; `compare:` says how requests reach them.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from harness.config._base import DataFile, StrictModel
from harness.config.cost import Cost
from harness.config.endpoint import Endpoint
from harness.config.errors import invalid
from harness.config.simulator import SimulatorOptions

INTERLEAVED: Final = "interleaved"
SHADOW: Final = "shadow"
FANOUT_ALL: Final = "all"
# Settings of the request itself: every target must be asked the same way for a fair comparison.
SHARED_SETTINGS: tuple[str, ...] = ("api", "stream", "include_usage")


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


class TargetEndpoint(Endpoint):
    """One named endpoint of a multi-target scenario."""

    name: str  # the `target` label of its records and metrics
    cost: Cost | None = None  # prices of this target (cost per query is compared across targets)
    simulator: SimulatorOptions | None = None  # no base_url: an embedded simulator with these settings

    @field_validator("name")
    @classmethod
    def _label_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise invalid(
                f"{value!r} is not a usable target name",
                "use up to 40 letters, digits, '_', '.' or '-' (it labels records and metrics)",
            )
        return value

    @model_validator(mode="after")
    def _one_server(self) -> TargetEndpoint:
        if self.base_url is not None and self.simulator is not None:
            raise invalid(
                "is set together with base_url",
                "keep base_url for a running server, or simulator for an embedded one",
                at="simulator",
            )
        return self


class CompareConfig(StrictModel):
    """How one workload and one arrival schedule reach several targets.

    ``interleaved``: every target meets the same prompts at the same intended times. With
    ``fanout: all`` (the default) each request is sent to every target at once, so each prompt
    has an answer from every target (agreement and paired accuracy need that); with
    ``alternate`` each request goes to one target drawn by seed, which halves the load each
    target sees and pairs answers only by prompt.
    ``shadow``: the ``primary`` serves and is measured; every request is mirrored to the other
    targets in the background, and a mirror that would exceed ``shadow_max_in_flight`` is
    dropped (counted) rather than queued, so the shadows never hold the primary back.
    """

    mode: Literal["interleaved", "shadow"] = INTERLEAVED
    fanout: Literal["all", "alternate"] = FANOUT_ALL
    primary: str | None = None  # shadow mode: the serving target (default: the first one)
    shadow_max_in_flight: PositiveInt = 256
    # Golden sets whose items are the answer key of the load's own prompts: a request whose
    # prompt id is a golden item id is scored with that item's scorer, per target.
    golden: list[DataFile] = Field(default_factory=list)


def check_targets(targets: list[TargetEndpoint], compare: CompareConfig) -> None:
    """Raise a one-line error for a targets list that cannot be run or compared fairly."""
    if len(targets) < 2:
        raise invalid(
            f"lists {len(targets)} target",
            "list two or more targets, or use the endpoint section for one",
            at="targets",
        )
    names = [t.name for t in targets]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise invalid(
                f"target name {name!r} is used twice", "give every target its own name", at="targets"
            )
    for target in targets[1:]:
        for key in SHARED_SETTINGS:
            if getattr(target, key) != getattr(targets[0], key):
                raise invalid(
                    f"target {target.name!r} sets {key} {getattr(target, key)!r}, "
                    f"the first target {getattr(targets[0], key)!r}",
                    f"ask every target the same way: use one {key} for all targets",
                    at="targets",
                )
    if compare.primary is not None and compare.primary not in names:
        raise invalid(
            f"names no target ({compare.primary!r})",
            "use one of: " + ", ".join(names),
            at="compare.primary",
        )


def primary_of(targets: list[TargetEndpoint], compare: CompareConfig) -> str:
    """The reference target: the shadow mode's primary, else the first target."""
    return compare.primary or targets[0].name
