"""The statistics behind relative gates.

- `mcnemar_exact`: paired binary outcomes (items answered once on each side).
- `paired_items`: paired item means (items answered several times): the item is the unit.
- `bootstrap_compare`: one run a side; the units of one run (requests, or time blocks) are
  resampled, so the interval covers within-run noise only.
- `between_runs`: several runs on a side; per-run log statistics and their run-to-run
  variance (Yuen's trimmed Welch t), so the interval covers run-to-run noise as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest
from scipy.stats import t as student_t

# Resampled values held in memory at once (rows x samples), so large runs stay within ~32 MB.
_BLOCK_VALUES = 4_000_000
# Degrees of freedom standing for "known": a variance taken from thousands of resampled units.
KNOWN_DF = 1e6


def mcnemar_exact(newly_failing: int, newly_passing: int) -> float:
    """Two-sided exact McNemar p-value for paired binary outcomes.

    Only discordant pairs carry information: under "no change" each is equally likely to
    go either way, so the count of newly failing items is Binomial(discordant, 1/2).
    """
    discordant = newly_failing + newly_passing
    if discordant == 0:
        return 1.0
    return float(binomtest(newly_failing, discordant, 0.5, alternative="two-sided").pvalue)


@dataclass(frozen=True, slots=True)
class Clustered:
    """One run's samples of a metric, grouped into the units resampled together.

    A request's chunk gaps form one unit (ITL), so do the completions of one time block
    (throughput); other latencies have one sample per request. ``scale`` converts the
    statistic into the metric's unit (1 / block seconds for throughput).
    """

    values: np.ndarray
    units: np.ndarray  # unit index of each value, 0 .. n_units - 1
    n_units: int
    scale: float = 1.0

    @classmethod
    def one_per_unit(cls, values: np.ndarray, scale: float = 1.0) -> Clustered:
        values = np.asarray(values, dtype=float)
        return cls(values, np.arange(values.size), int(values.size), scale)

    @classmethod
    def from_groups(cls, groups: Sequence[np.ndarray]) -> Clustered:
        """One unit per group; empty groups are units without samples (they are dropped)."""
        kept = [np.asarray(g, dtype=float) for g in groups if len(g)]
        if not kept:
            return cls(np.empty(0), np.empty(0, dtype=int), 0)
        sizes = np.array([g.size for g in kept])
        return cls(np.concatenate(kept), np.repeat(np.arange(len(kept)), sizes), len(kept))


@dataclass(frozen=True, slots=True)
class Statistic:
    """The mean (``q`` None) or the q-th percentile (numpy's linear interpolation)."""

    q: float | None

    def of(self, sample: Clustered) -> float:
        raw = sample.values.mean() if self.q is None else np.percentile(sample.values, self.q)
        return float(raw) * sample.scale

    def replicates(self, sample: Clustered, resamples: int, rng: np.random.Generator) -> np.ndarray:
        """The statistic of `resamples` resamples of the units (with replacement, same count)."""
        n = sample.n_units
        out = np.empty(resamples)
        rows = max(1, _BLOCK_VALUES // max(sample.values.size, n))
        for start in range(0, resamples, rows):
            stop = min(resamples, start + rows)
            drawn = rng.integers(0, n, size=(stop - start, n)) + n * np.arange(stop - start)[:, None]
            counts = np.bincount(drawn.ravel(), minlength=(stop - start) * n).reshape(stop - start, n)
            out[start:stop] = self.of_resamples(sample, counts)
        return out

    def of_resamples(self, sample: Clustered, counts: np.ndarray) -> np.ndarray:
        """The statistic of each resample given as a row of unit counts (resamples x units).

        Each value counts as often as its unit was drawn. Percentiles are those of the expanded
        resample, found from cumulative counts over the sorted values, so they equal
        ``np.percentile`` of the resample exactly.
        """
        order = np.argsort(sample.values, kind="stable")
        weights = counts[:, sample.units[order]]
        return self._weighted(sample.values[order], weights) * sample.scale

    def _weighted(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        total = weights.sum(axis=1)
        if self.q is None:
            return np.asarray((weights * values).sum(axis=1) / total)
        cumulative = np.cumsum(weights, axis=1)
        position = (total - 1) * self.q / 100.0
        lower = np.floor(position)
        upper = np.minimum(lower + 1, total - 1)
        # The k-th order statistic (from 0) is the value whose cumulative count first exceeds k.
        low_idx = (cumulative <= lower[:, None]).sum(axis=1)
        high_idx = (cumulative <= upper[:, None]).sum(axis=1)
        low_val, high_val = values[low_idx], values[high_idx]
        return np.asarray(low_val + (position - lower) * (high_val - low_val))


@dataclass(frozen=True, slots=True)
class Comparison:
    """Candidate against baseline: ``ratio`` of the statistic, its interval and p-value.

    ``baseline``/``candidate`` are the sides' statistics (with several runs, the geometric
    mean of the runs' statistics); ``df`` is None for a bootstrap interval.
    """

    baseline: float
    candidate: float
    ratio: float
    low: float
    high: float
    p_value: float
    df: float | None = None


def bootstrap_compare(
    baseline: Clustered,
    candidate: Clustered,
    statistic: Statistic,
    resamples: int,
    confidence: float,
    seed: int,
) -> Comparison:
    """One run a side: percentile-bootstrap interval of the ratio candidate / baseline.

    Each side's units are resampled independently (seeded: the same inputs give the same
    interval). The p-value is the two-sided bootstrap p of "ratio = 1": twice the share of
    resampled ratios on the far side of 1, at least 2 / (resamples + 1).
    """
    rng = np.random.default_rng(seed)
    base, cand = statistic.of(baseline), statistic.of(candidate)
    ratios = statistic.replicates(candidate, resamples, rng) / statistic.replicates(baseline, resamples, rng)
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    beyond = min(int((ratios <= 1.0).sum()), int((ratios >= 1.0).sum()))
    p_value = min(1.0, 2 * (beyond + 1) / (resamples + 1))
    return Comparison(base, cand, cand / base, float(low), float(high), p_value)


def log_variance(sample: Clustered, statistic: Statistic, resamples: int, seed: int) -> float:
    """Within-run sampling variance of the log statistic, from resampling the run's units."""
    replicates = statistic.replicates(sample, resamples, np.random.default_rng(seed))
    replicates = replicates[replicates > 0]
    return float(np.log(replicates).var(ddof=1)) if replicates.size > 1 else 0.0


@dataclass(frozen=True, slots=True)
class RunStat:
    """One run's statistic on the log scale and its within-run sampling variance."""

    log_value: float
    within_var: float


def run_stat_of(sample: Clustered, statistic: Statistic, resamples: int, seed: int) -> RunStat | None:
    """One run's log statistic and its within-run variance from `resamples` resamples (none:
    variance 0); None when the statistic is not positive (it has no log)."""
    value = statistic.of(sample)
    if not value > 0:
        return None
    within = log_variance(sample, statistic, resamples, seed) if resamples else 0.0
    return RunStat(math.log(value), within)


@dataclass(frozen=True, slots=True)
class RunNoise:
    """A calibrated run-to-run standard deviation of the log statistic, on ``df`` degrees of freedom."""

    sd_log: float
    df: float


TRIM = 0.2  # share of runs trimmed from each end of a side (Yuen): one of five, two of ten


def between_runs(
    baseline: Sequence[RunStat],
    candidate: Sequence[RunStat],
    confidence: float,
    calibrated: RunNoise | None = None,
) -> Comparison:
    """Several runs on a side: compare the sides' log statistics with Yuen's trimmed Welch t.

    Each side's centre is the 20 %-trimmed mean of its runs' log statistics (one run of five
    trimmed from each end, none below five runs: then it is Welch's t), with the winsorized
    variance (Yuen 1974), so one run hit by a machine stall neither moves the centre nor
    swamps the variance. A side with a single run takes the calibrated run-to-run variance,
    or else the other side's per-run estimate. No side's variance is taken below the mean
    within-run sampling variance of its kept runs (then known, not estimated): a chance
    agreement of a few runs cannot narrow the interval below what one run's own noise allows.
    """
    if len(baseline) < 2 and len(candidate) < 2:
        raise ValueError("between_runs needs at least two runs on one side")
    b, c = _trimmed(baseline), _trimmed(candidate)
    if b.df is None:
        b = b.single(calibrated, c)
    if c.df is None:
        c = c.single(calibrated, b)
    se = float(np.sqrt(b.var + c.var))
    assert b.df is not None and c.df is not None
    if b.shared or c.shared:
        df = b.df if c.shared else c.df  # one estimate serves both sides
    elif b.var + c.var == 0:  # no spread on either side (an exact statistic): no t, df moot
        df = b.df + c.df
    else:
        df = float((b.var + c.var) ** 2 / (b.var**2 / b.df + c.var**2 / c.df))
    effect = c.centre - b.centre
    if se > 0:
        half = float(student_t.ppf(0.5 + confidence / 2, df)) * se
        p_value = float(2 * student_t.sf(abs(effect) / se, df))
    else:
        half, p_value = 0.0, (1.0 if effect == 0 else 0.0)
    return Comparison(
        baseline=float(np.exp(b.centre)),
        candidate=float(np.exp(c.centre)),
        ratio=float(np.exp(effect)),
        low=float(np.exp(effect - half)),
        high=float(np.exp(effect + half)),
        p_value=p_value,
        df=df,
    )


@dataclass(frozen=True, slots=True)
class _Side:
    centre: float  # trimmed mean of the runs' log statistics
    var: float  # variance of the centre
    df: float | None  # None: one run, variance still to be found
    per_run: float  # run-to-run variance of one run's log statistic (plain sample variance)
    per_run_df: float
    within: float  # mean within-run sampling variance of the runs kept (not trimmed)
    shared: bool = False  # variance borrowed from the other side's estimate

    def single(self, calibrated: RunNoise | None, other: _Side) -> _Side:
        """A one-run side: the calibrated run-to-run variance, or the other side's."""
        if calibrated is not None:
            per_run, df, shared = calibrated.sd_log**2, calibrated.df, False
        else:
            per_run, df, shared = other.per_run, other.per_run_df, True
        if self.within >= per_run:
            return _Side(self.centre, self.within, KNOWN_DF, self.within, KNOWN_DF, self.within)
        return _Side(self.centre, per_run, df, per_run, df, self.within, shared)


def _trimmed(runs: Sequence[RunStat]) -> _Side:
    order = np.argsort([r.log_value for r in runs], kind="stable")
    values = np.array([runs[i].log_value for i in order])
    n = values.size
    g = int(np.floor(TRIM * n))
    h = n - 2 * g
    # The within-run noise of the runs kept: a trimmed run's own noise does not bound the centre.
    within = float(np.mean([runs[i].within_var for i in order[g : n - g]]))
    if n == 1:
        return _Side(float(values[0]), 0.0, None, 0.0, 0.0, within)
    winsorized = np.clip(values, values[g], values[n - g - 1])
    var = (n - 1) * float(winsorized.var(ddof=1)) / (h * (h - 1))
    centre = float(values[g : n - g].mean())
    per_run = max(float(values.var(ddof=1)), within)
    if within / h >= var:
        return _Side(centre, within / h, KNOWN_DF, per_run, float(n - 1), within)
    return _Side(centre, var, float(h - 1), per_run, float(n - 1), within)


@dataclass(frozen=True, slots=True)
class PairedMeans:
    """Mean drop over paired items (baseline minus candidate) with an item-clustered interval."""

    baseline: float
    candidate: float
    drop: float
    low: float
    high: float
    p_value: float


def paired_items(
    baseline: np.ndarray, candidate: np.ndarray, weights: np.ndarray, confidence: float
) -> PairedMeans:
    """Paired t on per-item means (each item's share of correct answers on either side).

    The item is the unit: repeated answers to one item are averaged first, never counted as
    independent. Weighted means Σ w·x / Σ w; the standard error of the weighted mean drop
    uses the item-level deviations (n / (n - 1) small-sample factor), with n - 1 df.
    """
    n = baseline.size
    total = weights.sum()
    acc_b, acc_c = float((weights * baseline).sum() / total), float((weights * candidate).sum() / total)
    diffs = baseline - candidate
    drop = acc_b - acc_c
    if n < 2:
        return PairedMeans(acc_b, acc_c, drop, -np.inf, np.inf, 1.0)
    se = float(np.sqrt(n / (n - 1) * (weights**2 * (diffs - drop) ** 2).sum()) / total)
    if se == 0:
        return PairedMeans(acc_b, acc_c, drop, drop, drop, 1.0 if drop == 0 else 0.0)
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * se
    p_value = float(2 * student_t.sf(abs(drop) / se, n - 1))
    return PairedMeans(acc_b, acc_c, drop, drop - half, drop + half, p_value)
