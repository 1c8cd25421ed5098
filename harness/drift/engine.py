"""The one module that imports Evidently (slow: ~5 s), and only when a report is computed.

Methods are pinned instead of left to Evidently's sample-size rules: below 1000 rows it would
switch to p-value tests (KS, chi-square), whose 5 % false-alarm rate per feature would flag
about one feature of twenty every week on unchanged traffic. Distances with fixed thresholds
keep "drifted" meaning "changed by this much", at any sample size.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.drift.config import Thresholds

NUMERIC_METHOD = "wasserstein"  # Wasserstein distance normed by the reference's std
CATEGORICAL_METHOD = "jensenshannon"
EMBEDDING_METHOD = "model"  # ROC AUC of a classifier telling the two samples apart


@dataclass(frozen=True, slots=True)
class ColumnScore:
    method: str
    score: float
    threshold: float

    @property
    def drifted(self) -> bool:
        return self.score >= self.threshold


def evidently_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    thresholds: Thresholds,
    drift_share: float,
    html_path: Path | None,
) -> dict[str, ColumnScore]:
    """Each column's distance and threshold, from Evidently's per-column drift metrics.

    With ``html_path``, the data-drift preset (the same per-column metrics plus its summary
    table) runs instead and its HTML report is written there; without, the lighter report
    takes half the time."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift
    from evidently.presets import DataDriftPreset

    columns = numeric + categorical
    limits = {name: thresholds.per_feature.get(name, thresholds.numeric) for name in numeric}
    limits |= {name: thresholds.per_feature.get(name, thresholds.categorical) for name in categorical}
    metrics: list[Any]
    if html_path is None:
        metrics = [
            ValueDrift(
                column=name,
                method=NUMERIC_METHOD if name in numeric else CATEGORICAL_METHOD,
                threshold=limits[name],
            )
            for name in columns
        ]
    else:
        metrics = [
            DataDriftPreset(
                columns=columns,
                num_method=NUMERIC_METHOD,
                cat_method=CATEGORICAL_METHOD,
                per_column_threshold=limits,
                drift_share=drift_share,
                include_tests=False,  # pass/fail widgets would repeat what drift.json decides
            )
        ]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    with warnings.catch_warnings():
        # Evidently's overview correlates columns; a constant one divides by a zero std there.
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = Report(metrics).run(
            current_data=Dataset.from_pandas(current[columns], data_definition=definition),
            reference_data=Dataset.from_pandas(reference[columns], data_definition=definition),
        )
    if html_path is not None:
        snapshot.save_html(str(html_path))
    scores: dict[str, ColumnScore] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type") == "evidently:metric_v2:ValueDrift":
            scores[config["column"]] = ColumnScore(
                config["method"], float(metric["value"]), config["threshold"]
            )
    return scores


def embedding_drift(reference: np.ndarray, current: np.ndarray, threshold: float) -> ColumnScore:
    """Evidently's classifier method on two embedding matrices (rows = texts)."""
    from evidently.legacy.metrics.data_drift.embedding_drift_methods import model

    method = model(threshold=threshold)
    score, _, _ = method(pd.DataFrame(current), pd.DataFrame(reference))
    return ColumnScore(EMBEDDING_METHOD, float(score), threshold)
