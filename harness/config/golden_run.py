"""What `golden run` takes from a scenario: its `endpoint:` and `simulator:` sections, set with
`--set` (and `--endpoint`, `--model`, `--api-key-env`), checked by the same schema as a scenario."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from harness.config._base import BASE_DIR, StrictModel
from harness.config.endpoint import SOURCE_FILE, Endpoint
from harness.config.errors import invalid
from harness.config.overrides import Overrides
from harness.config.simulator import SimulatorOptions
from harness.config.validation import from_validation_error
from harness.config.yaml_io import apply_overrides

GOLDEN_RUN = "golden run"


class GoldenTarget(StrictModel):
    endpoint: Endpoint = Field(default_factory=Endpoint)  # no base_url: the built-in simulator answers
    simulator: SimulatorOptions = Field(default_factory=SimulatorOptions)

    @model_validator(mode="after")
    def _api_is_the_sets(self) -> GoldenTarget:
        if "api" in self.endpoint.model_fields_set:
            raise invalid(
                "does not apply to golden sets: each set names its API",
                "remove it, and write api: completions in the set's YAML defaults instead",
                at="endpoint.api",
            )
        return self


def load_golden_target(overrides: Overrides) -> GoldenTarget:
    """The endpoint and simulator settings of a golden run; a mistake is a one-line `ConfigError`."""
    origins = {key: overrides.origin(key) for key in overrides}
    data = apply_overrides({}, overrides, GOLDEN_RUN, origins)
    context = {BASE_DIR: Path.cwd(), SOURCE_FILE: GOLDEN_RUN}
    try:
        return GoldenTarget.model_validate(data, context=context)
    except ValidationError as e:
        raise from_validation_error(e, GOLDEN_RUN, GoldenTarget, origins) from None
