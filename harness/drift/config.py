"""What a user configures about drift reports: text features, thresholds, the accuracy test.

Read from an optional YAML file (``--config``); every field has a default, so the file only
holds what differs. Thresholds are distances (normed Wasserstein for numeric features,
Jensen–Shannon for categorical ones): a feature drifts when its distance reaches the threshold.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, PositiveFloat, PositiveInt, ValidationError, field_validator

from harness.config._base import StrictModel
from harness.config.errors import ConfigError, invalid
from harness.config.validation import from_validation_error

TextTarget = Literal["prompt", "output"]
BOTH: list[TextTarget] = ["prompt", "output"]
_NAME = r"^[a-z][a-z0-9_]*$"


class KeywordGroup(StrictModel):
    """A yes/no feature per text: does it contain any of these words (whole words, any case)?"""

    name: str = Field(pattern=_NAME)
    words: list[str] = Field(min_length=1)
    texts: list[TextTarget] = Field(default_factory=lambda: list(BOTH), min_length=1)


class RegexFeature(StrictModel):
    """A yes/no feature per text: does the regular expression match anywhere in it?"""

    name: str = Field(pattern=_NAME)
    pattern: str
    texts: list[TextTarget] = Field(default_factory=lambda: list(BOTH), min_length=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as e:
            raise invalid(
                f"is not a valid regular expression ({e})", "fix the pattern (Python re syntax)"
            ) from e
        return value


class Thresholds(StrictModel):
    numeric: PositiveFloat = 0.1  # normed Wasserstein distance (Evidently's default for large samples)
    categorical: PositiveFloat = 0.1  # Jensen–Shannon distance
    per_feature: dict[str, PositiveFloat] = Field(default_factory=dict)


class AccuracyTest(StrictModel):
    # alpha of the two-sided two-proportion z-test; 0.01 keeps weekly false alarms rare.
    alpha: float = Field(default=0.01, gt=0, lt=1)
    # A significant change smaller than this many points is not reported as drift.
    min_change_points: float = Field(default=2.0, ge=0)


class Embeddings(StrictModel):
    # Texts embedded per side and text kind: a short prompt takes a few ms on a CPU core, a
    # long answer tens of ms.
    max_rows: PositiveInt = 1000
    texts: list[TextTarget] = Field(default_factory=lambda: list(BOTH), min_length=1)
    # ROC AUC of a classifier telling reference from current apart (Evidently's "model" method).
    threshold: float = Field(default=0.55, gt=0.5, lt=1)


class DriftConfig(StrictModel):
    keywords: list[KeywordGroup] = Field(default_factory=list)
    regexes: list[RegexFeature] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    accuracy: AccuracyTest = Field(default_factory=AccuracyTest)
    embeddings: Embeddings = Field(default_factory=Embeddings)
    # The dataset counts as drifted when at least this share of features drifts.
    drift_share: float = Field(default=0.5, gt=0, le=1)
    # Below this many rows per side the report says its distances are noisy.
    min_rows: PositiveInt = 1000


def load_config(path: Path | None) -> DriftConfig:
    """The config in ``path`` (defaults when None); a mistake raises a one-line `ConfigError`."""
    if path is None:
        return DriftConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(
            str(path), "(file)", f"cannot be read ({e.strerror})", "check the --config path"
        ) from e
    except yaml.YAMLError as e:
        raise ConfigError(str(path), "(file)", f"is not valid YAML ({e})", "fix the YAML syntax") from e
    if data is None:
        return DriftConfig()
    if not isinstance(data, dict):
        raise ConfigError(
            str(path), "(top level)", "is not a mapping", "write keys like keywords:, thresholds:"
        )
    try:
        return DriftConfig.model_validate(data)
    except ValidationError as e:
        raise from_validation_error(e, str(path), DriftConfig) from e
