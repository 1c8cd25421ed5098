"""Exact percentiles over re-read chunks (``analysis.selection``) equal numpy's over all samples.

The limits are made small here so that a few thousand samples take every path a big run takes:
the histogram, collected bins, bins split again, bins whose key is complete (equal samples).
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis import selection as sel
from harness.analysis.selection import Selection, key_value, select, sort_keys
from harness.analysis.stats import PERCENTILES

RANKS = [0.0, 0.1, 1.0, 25.0, *PERCENTILES.values(), 99.99, 100.0]


def _chunks(values: np.ndarray, size: int) -> list[np.ndarray]:
    return [values[i : i + size] for i in range(0, values.size, size)] or [values]


def _run(groups: list[np.ndarray], ranks: list[float], size: int = 997) -> tuple[list[Selection], int]:
    selections = [Selection(ranks) for _ in groups]
    chunked = [_chunks(values, size) for values in groups]
    reads = 0

    def passes(wanted: list[int]):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        for step in range(max(len(c) for c in chunked)):
            yield [chunked[i][step] if step < len(chunked[i]) else np.empty(0) for i in wanted]

    select(selections, passes)
    return selections, reads


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sel, "COLLECT_LIMIT", 300)
    monkeypatch.setattr(sel, "SPLIT_LIMIT", 3)


def test_keys_sort_like_the_values_and_map_back() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(0, 1e3, 500), [0.0, -1e-300, 1e-300, 5e-324, 1.5]])
    keys = sort_keys(values)
    assert np.array_equal(np.argsort(keys, kind="stable"), np.argsort(values, kind="stable"))
    assert [key_value(int(k)) for k in keys] == values.tolist()


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.gamma(4.0, 0.0025, 20_000),  # chunk gaps
        lambda rng: rng.lognormal(-3, 2, 20_000) - 0.05,  # both signs
        lambda rng: np.round(rng.exponential(0.01, 20_000), 4),  # many ties
        lambda rng: np.full(5_000, 0.005),  # one value: bins split down to the whole key
        lambda rng: np.concatenate([np.full(4_000, 0.005), rng.uniform(0, 1, 7)]),
        lambda rng: rng.uniform(0, 1, 3),
        lambda rng: rng.uniform(0, 1, 1),
    ],
    ids=["gamma", "signed", "ties", "constant", "constant-and-outliers", "three", "one"],
)
def test_percentiles_equal_numpy_bit_for_bit(small_limits: None, make) -> None:  # type: ignore[no-untyped-def]
    values = make(np.random.default_rng(7))
    (result,), reads = _run([values], RANKS)
    expected = np.percentile(values, RANKS, method="linear")
    assert result.percentiles.tolist() == expected.tolist()
    assert result.count == values.size
    assert (result.min, result.max) == (values.min(), values.max())
    assert result.mean == pytest.approx(values.mean(), rel=1e-12, abs=1e-15)
    assert result.std == pytest.approx(values.std(), rel=1e-9, abs=1e-15)
    if values.size > 300:
        assert reads > 1  # the histogram path, not the kept samples


def test_several_groups_share_the_passes_and_skip_non_finite(small_limits: None) -> None:
    rng = np.random.default_rng(3)
    big = rng.gamma(2.0, 0.01, 30_000)
    big[::1000] = np.nan
    small = rng.uniform(0, 1, 50)
    empty = np.empty(0)
    (a, b, c), reads = _run([big, small, empty], list(PERCENTILES.values()))
    finite = big[np.isfinite(big)]
    assert a.percentiles.tolist() == np.percentile(finite, list(PERCENTILES.values())).tolist()
    assert a.count == finite.size
    assert b.percentiles.tolist() == np.percentile(small, list(PERCENTILES.values())).tolist()
    assert c.count == 0 and np.isnan(c.percentiles).all()
    assert reads >= 2


def test_default_limits_take_one_more_read_for_a_few_percentiles() -> None:
    """With the shipped limits, the summary's five percentiles of millions of gaps are found
    in two reads: the histogram, then the bins that hold them."""
    values = np.random.default_rng(5).gamma(4.0, 0.0025, 6_000_000)
    (result,), reads = _run([values], list(PERCENTILES.values()), size=262_144)
    assert result.percentiles.tolist() == np.percentile(values, list(PERCENTILES.values())).tolist()
    assert reads == 2
