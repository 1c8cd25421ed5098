"""The shifted region of a drifted feature: the value range or category that grew most, with
example texts from the current sample that fall in it (what an ML lead reads to see *what*
changed, not only that something did)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.drift.result import Region

N_EXAMPLES = 3
EXAMPLE_CHARS = 240
_BINS = 10  # numeric features: deciles of the reference
_FEW_VALUES = 12  # numeric features with this few distinct values are binned per value


def shifted_region(
    feature: str,
    reference: pd.Series,
    current: pd.Series,
    texts: pd.Series,
    texts_from: str,
    population: str = "requests",
) -> Region | None:
    """The region of ``feature`` whose share grew most from reference to current, with up to
    three of the current sample's ``texts`` (aligned with ``current``) from it. ``population``
    names what the shares are shares of."""
    ref, cur = reference.dropna(), current.dropna()
    if ref.empty or cur.empty:
        return None
    numeric = pd.api.types.is_numeric_dtype(ref) and pd.api.types.is_numeric_dtype(cur)
    names: dict[Any, str]
    if numeric and pd.concat([ref, cur]).nunique() > _FEW_VALUES:
        labels_ref, labels_cur, names = _binned(ref.to_numpy(float), cur.to_numpy(float), feature)
    else:
        labels_ref, labels_cur = ref.to_numpy(), cur.to_numpy()
        names = {v: f"{feature} = {_fmt(v) if numeric else v}" for v in np.unique(np.concatenate([ref, cur]))}
    ref_share = pd.Series(labels_ref).value_counts(normalize=True)
    cur_share = pd.Series(labels_cur).value_counts(normalize=True)
    growth = cur_share.sub(ref_share, fill_value=0.0)
    grown = growth.idxmax()
    in_region = pd.Series(labels_cur == grown, index=cur.index)
    return Region(
        description=names[grown],
        reference_share=float(ref_share.get(grown, 0.0)),
        current_share=float(cur_share.get(grown, 0.0)),
        examples_from=texts_from,
        population=population,
        examples=_examples(texts.loc[in_region[in_region].index]),
    )


def _binned(ref: np.ndarray, cur: np.ndarray, feature: str) -> tuple[np.ndarray, np.ndarray, dict[Any, str]]:
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, _BINS + 1))[1:-1])
    names: dict[Any, str] = {0: f"{feature} < {_fmt(edges[0])}", len(edges): f"{feature} ≥ {_fmt(edges[-1])}"}
    for i in range(1, len(edges)):
        names[i] = f"{feature} in [{_fmt(edges[i - 1])}, {_fmt(edges[i])})"
    return np.digitize(ref, edges), np.digitize(cur, edges), names


def _examples(texts: pd.Series) -> list[str]:
    distinct = texts.dropna().astype(str).drop_duplicates()
    if distinct.empty:
        return []
    # A fixed seed keeps a report reproducible from the same inputs.
    picked = distinct.sample(n=min(N_EXAMPLES, len(distinct)), random_state=0)
    return [_shorten(text) for text in picked]


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXAMPLE_CHARS else flat[: EXAMPLE_CHARS - 1] + "…"


def _fmt(value: float) -> str:
    return f"{value:.3g}"
