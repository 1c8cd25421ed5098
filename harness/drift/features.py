"""The feature frame drift is measured on: one row per request, numeric and categorical columns.

Production logs carry no topic label, so a change of what users ask about shows up here only
through the text descriptors and the configured keyword / regex features.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from harness.drift.config import DriftConfig, TextTarget
from harness.drift.text import DESCRIPTORS, contains_any, matches, text_descriptors

NONE = "none"  # category of a missing finish reason / of a request without error

# Feature name -> sample column, for the per-request numbers every source has.
_MEASURED = {
    "prompt_tokens": "n_in",
    "output_tokens": "n_out",
    "ttft_s": "ttft_s",
    "tpot_s": "tpot_s",
    "e2e_s": "e2e_s",
}


@dataclass(frozen=True, slots=True)
class FeatureSet:
    frame: pd.DataFrame
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


def text_source(feature: str) -> TextTarget:
    """Which text a feature describes, for picking example texts: prompt unless it is an
    output feature."""
    return "output" if feature.startswith("output_") else "prompt"


def build_features(sample: pd.DataFrame, config: DriftConfig) -> FeatureSet:
    """Every offline feature of every request of ``sample`` (a `harness.drift.sample` frame)."""
    columns: dict[str, pd.Series] = {name: sample[col].astype(float) for name, col in _MEASURED.items()}
    numeric = list(_MEASURED)
    categorical = ["finish_reason", "error_kind"]
    columns["finish_reason"] = sample["finish_reason"].fillna(NONE).astype(str)
    columns["error_kind"] = sample["error_kind"].fillna(NONE).astype(str)
    for target in ("prompt", "output"):
        texts = sample[target]
        described = text_descriptors(texts, target)
        for name in DESCRIPTORS:
            columns[f"{target}_{name}"] = described[f"{target}_{name}"]
            numeric.append(f"{target}_{name}")
        columns[f"{target}_json"] = described[f"{target}_json"]
        categorical.append(f"{target}_json")
        for group in config.keywords:
            if target in group.texts:
                columns[f"{target}_kw_{group.name}"] = contains_any(texts, group.words)
                categorical.append(f"{target}_kw_{group.name}")
        for regex in config.regexes:
            if target in regex.texts:
                columns[f"{target}_re_{regex.name}"] = matches(texts, regex.pattern)
                categorical.append(f"{target}_re_{regex.name}")
    frame = pd.DataFrame(columns, index=sample.index)
    return FeatureSet(frame=frame, numeric=tuple(numeric), categorical=tuple(categorical))
