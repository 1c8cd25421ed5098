"""Live histograms tell the truth: histogram_quantile in a real Prometheus against numpy.

Real runs: ``slm-harness run`` loads the built-in simulator with three latency shapes (narrow;
heavy-tailed prompt lengths, so TTFT and E2E have a long tail up to the prompt-length cap;
bimodal short and long prompts), with a real Prometheus scraping the live exporter. For p50, p95
and p99 of TTFT, TPOT, ITL and E2E, ``histogram_quantile`` over the run's buckets is within 5 %
of numpy over ``records.parquet`` (see ``Errors``), and the bucket at each run's SLO gives exactly
the summary's SLO attainment.

Drawn records: the same three shapes for every metric (TPOT and ITL too), fed to the exporter as
stages of one run in two halves with a scrape between them, so the first half, the second half
and the whole are three windows, queried with the ``@`` modifier.

Run with ``-s`` to print the error tables recorded in docs/metrics.md (``Errors`` says what is
asserted against which numpy convention).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from harness.config.slo import SLO
from harness.publish import LiveExporter
from harness.publish import catalogue as c
from harness.records.record import RequestRecord
from tests import support_prometheus as prom

QUANTILES = (0.5, 0.95, 0.99)
TOLERANCE = 0.05
DENSE = 0.01
METRICS = {"ttft": c.TTFT, "tpot": c.TPOT, "itl": c.ITL, "e2e": c.E2E}

LONG_PROMPT = " ".join(["Explain how continuous batching shares one GPU between many requests."] * 30)
_BASE: dict[str, Any] = {
    "load": {"profile": {"type": "concurrency", "users": 16}, "duration_s": 7, "warmup_s": 1},
    "publish": {"exporter": {"port": 0}},
}
# Scenario name -> the scenario; each sets one SLO, so its bucket alone gives the SLO attainment.
# The heavy and bimodal SLOs split the requests whatever the machine's load (a wide spread; the
# gap between the modes); the narrow run's spread is a few ms, which load can move across any
# fixed SLO, so there only the count is checked.
SCENARIOS: dict[str, dict[str, Any]] = {
    "narrow": {
        **_BASE,
        "simulator": {"ttft_ms": 40, "itl_ms": 5, "jitter_ms": 1, "max_num_seqs": 64, "seed": 1},
        "workload": {
            "source": {"type": "inline", "prompts": ["Summarise the plot of Hamlet in two sentences."]},
            "max_tokens": 12,
            "ignore_eos": True,
        },
        "slo": {"tpot_ms": 6.0},
    },
    "heavy": {
        **_BASE,
        "simulator": {
            "ttft_ms": 20,
            "itl_ms": 5,
            "jitter_ms": 1,
            "prefill_ms_per_token": 0.25,
            "max_num_seqs": 64,
            "seed": 2,
        },
        "workload": {
            "source": {
                "type": "synthetic",
                "input_tokens": {"type": "lognormal", "median": 120, "sigma": 1.0, "max": 800},
                "output_tokens": {"type": "fixed", "value": 12},
            },
            "ignore_eos": True,
        },
        "slo": {"ttft_ms": 100},
    },
    "bimodal": {
        **_BASE,
        "simulator": {
            "ttft_ms": 30,
            "itl_ms": 5,
            "jitter_ms": 1,
            "prefill_ms_per_token": 0.5,
            "max_num_seqs": 64,
            "seed": 3,
        },
        "workload": {
            "source": {
                "type": "inline",
                "prompts": [
                    "Name a prime number between 20 and 30.",
                    "Translate good morning into French.",
                    "Give one tip for clear commit messages.",
                    LONG_PROMPT,
                ],
            },
            "max_tokens": 12,
            "ignore_eos": True,
        },
        "slo": {"e2e_ms": 200},
    },
}


@dataclass
class Errors:
    """Relative errors of histogram_quantile, for the assertions and the printed table.

    Against the rank convention (numpy's inverted CDF: the sample whose bucket histogram_quantile
    interpolates in) the error is at most the bucket's width, always asserted. Against the
    summary's linear interpolation it is asserted where the two conventions agree within
    ``DENSE`` (the samples around the rank are dense); where they do not, as at a p99 among a few
    sparse outliers, the raw percentile itself is uncertain by more than that (marked ``*``).
    """

    rows: list[tuple[str, str, int, list[str]]] = field(default_factory=list)

    def check(
        self, shape: str, metric: str, samples: np.ndarray, quantile_of: Callable[[float], float]
    ) -> None:
        cells = []
        for q in QUANTILES:
            estimate = quantile_of(q)
            rank = float(np.percentile(samples, q * 100, method="inverted_cdf"))
            linear = float(np.percentile(samples, q * 100))
            dense = abs(linear / rank - 1) <= DENSE
            assert abs(estimate / rank - 1) <= TOLERANCE, (shape, metric, q, estimate, rank)
            if dense:
                assert abs(estimate / linear - 1) <= TOLERANCE, (shape, metric, q, estimate, linear)
            mark = "" if dense else "*"
            cells.append(f"{100 * (estimate / rank - 1):+.2f} / {100 * (estimate / linear - 1):+.2f}{mark}")
        self.rows.append((shape, metric, len(samples), cells))

    def table(self) -> str:
        lines = ["| shape | metric | samples | p50 | p95 | p99 |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {shape} | {metric} | {n:,} | {' | '.join(cells)} |" for shape, metric, n, cells in self.rows
        ]
        return "\n".join(lines)


def _samples(records: pd.DataFrame) -> dict[str, np.ndarray]:
    """TTFT, TPOT, ITL and E2E samples of the measured, successful requests, in seconds."""
    ok = records[(records["phase"] == "measure") & records["ok"]]
    multi = ok[ok["n_out"] >= 2]
    return {
        "ttft": ok["ttft_s"].to_numpy(float),
        "tpot": ((multi["e2e_s"] - multi["ttft_s"]) / (multi["n_out"] - 1)).to_numpy(float),
        "itl": np.concatenate([np.asarray(g, dtype=float) for g in ok["chunk_gaps_s"]]),
        "e2e": ok["e2e_s"].to_numpy(float),
    }


def _scalar(prometheus: prom.Prometheus, expr: str) -> float:
    result = prometheus.query(expr)
    assert len(result) == 1, (expr, result)
    return float(result[0]["value"][1])


@dataclass
class Run:
    summary: dict[str, Any]
    samples: dict[str, np.ndarray]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[prom.Prometheus, dict[str, Run]]]:
    workdir = tmp_path_factory.mktemp("histograms")
    port = prom.free_port()
    with prom.prometheus(workdir, [prom.scrape_config("slm_harness", f"127.0.0.1:{port}")]) as prometheus:
        done: dict[str, Run] = {}
        for name, scenario in SCENARIOS.items():
            path = workdir / f"{name}.yaml"
            path.write_text(yaml.safe_dump(scenario, sort_keys=False))
            result = subprocess.run(
                [sys.executable, "-m", "harness.cli.main", "run", str(path), "--quiet",
                 "--exporter-port", str(port), "--out", str(workdir / "runs")],
                capture_output=True, text=True, timeout=120, cwd=prom.REPO,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
            run_dir = Path(result.stdout.strip().splitlines()[-1])
            summary = json.loads((run_dir / "summary.json").read_text())
            done[name] = Run(summary, _samples(pd.read_parquet(run_dir / "records.parquet")))
        yield prometheus, done


def _last(metric: str, **labels: str) -> str:
    """The summed last scraped value of ``metric`` in the runs' series (each exporter is gone by now)."""
    matchers = ", ".join(f'{k}="{v}"' for k, v in {"job": "slm_harness", **labels}.items())
    return f"sum by (le) (last_over_time({metric}{{{matchers}}}[15m]))"


def test_the_runs_have_the_shapes_they_claim(runs: tuple[prom.Prometheus, dict[str, Run]]) -> None:
    _, done = runs
    ttft = {name: run.samples["ttft"] for name, run in done.items()}
    for name, run in done.items():
        assert len(run.samples["ttft"]) > 400, (name, len(run.samples["ttft"]))
        assert run.summary["requests"]["errored"] == 0
    narrow = ttft["narrow"]
    assert np.percentile(narrow, 99) / np.percentile(narrow, 50) < 1.5
    heavy = ttft["heavy"]
    assert np.percentile(heavy, 99) / np.percentile(heavy, 50) > 2.5
    bimodal = ttft["bimodal"]
    between = (bimodal > 0.1) & (bimodal < 0.15)
    assert between.mean() < 0.02  # next to nothing between the two modes
    assert 0.18 < (bimodal >= 0.15).mean() < 0.32  # one prompt in four is long


@pytest.mark.parametrize("metric", list(METRICS))
def test_histogram_quantiles_of_real_runs_are_within_5_percent_of_numpy(
    runs: tuple[prom.Prometheus, dict[str, Run]], metric: str
) -> None:
    prometheus, done = runs
    errors = Errors()
    name = METRICS[metric].name
    for shape, run in done.items():
        count = _scalar(prometheus, _last(f"{name}_count", scenario=shape))
        assert count == len(run.samples[metric])  # the final scrape holds every sample
        buckets = _last(f"{name}_bucket", scenario=shape)

        def quantile_of(q: float, buckets: str = buckets) -> float:
            return _scalar(prometheus, f"histogram_quantile({q}, {buckets})")

        errors.check(shape, metric, run.samples[metric], quantile_of)
    print(f"\n{errors.table()}")


def test_slo_attainment_from_the_slo_bucket_equals_the_summary(
    runs: tuple[prom.Prometheus, dict[str, Run]],
) -> None:
    prometheus, done = runs
    for shape, run in done.items():
        slo = SLO(**SCENARIOS[shape]["slo"])
        metric, ms = next((k.removesuffix("_ms"), v) for k, v in slo.model_dump().items() if v is not None)
        name = METRICS[metric].name
        bucket = _scalar(prometheus, _last(f"{name}_bucket", scenario=shape, le=f"{ms / 1000:g}"))
        requests = _scalar(prometheus, _last("slm_requests_total", scenario=shape))
        if metric == "tpot":  # a successful request with one output token passes without a TPOT sample
            ok = _scalar(prometheus, _last("slm_requests_total", scenario=shape, outcome="ok"))
            bucket += ok - _scalar(prometheus, _last(f"{name}_count", scenario=shape))
        goodput = run.summary["goodput"]
        if shape != "narrow":
            assert 0.2 < goodput["slo_attainment"] < 0.95, (shape, goodput)  # the SLO splits the requests
        assert (bucket, requests) == (goodput["meeting"], run.summary["requests"]["total"])
        assert bucket / requests == goodput["slo_attainment"]


# --- drawn records -------------------------------------------------------------------------------
N_REQUESTS = 4000
GAPS = 20  # chunk gaps per request


def _draw(shape: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """TTFT (n) and chunk gaps (n x GAPS) in seconds, inside the ladders' fine ranges."""
    if shape == "narrow":
        ttft = rng.uniform(0.078, 0.082, n) + rng.exponential(0.0005, n)
        pace = rng.normal(0.010, 0.0002, n)
        gaps = pace[:, None] * rng.uniform(0.9, 1.1, (n, GAPS))
    elif shape == "heavy":
        ttft = np.minimum(rng.lognormal(np.log(0.12), 0.9, n), 2.4)
        pace = rng.lognormal(np.log(0.012), 0.5, n)
        gaps = np.clip(pace[:, None] * rng.lognormal(0.0, 0.6, (n, GAPS)), 0.0006, 0.095)
    else:  # bimodal: a quarter of prompts are long, a quarter of requests decode slowly
        ttft = np.where(rng.random(n) < 0.25, rng.normal(0.300, 0.010, n), rng.normal(0.060, 0.003, n))
        pace = np.where(rng.random(n) < 0.25, 0.014, 0.008) * rng.uniform(0.98, 1.02, n)
        gaps = pace[:, None] * rng.uniform(0.95, 1.05, (n, GAPS))
    return ttft, gaps


def _records(shape: str, seed: int) -> list[RequestRecord]:
    ttft, gaps = _draw(shape, np.random.default_rng(seed), N_REQUESTS)
    return [
        RequestRecord(
            request_id=f"{shape}-{i}",
            scenario="drawn",
            ok=True,
            ttft_s=float(t),
            e2e_s=float(t + g.sum()),
            chunk_gaps_s=g.tolist(),
            n_out=GAPS + 1,
            stage=shape,
            target="t",
        )
        for i, (t, g) in enumerate(zip(ttft, gaps, strict=True))
    ]


def _samples_of(records: list[RequestRecord]) -> dict[str, np.ndarray]:
    return _samples(pd.DataFrame([r.to_row() for r in records]))


def test_drawn_shapes_in_any_window_are_within_5_percent_of_numpy(tmp_path: Path) -> None:
    shapes = {shape: _records(shape, seed) for seed, shape in enumerate(("narrow", "heavy", "bimodal"))}
    half = N_REQUESTS // 2
    with (
        LiveExporter("127.0.0.1", 0, {"scenario": "drawn"}) as exporter,
        prom.prometheus(
            tmp_path, [prom.scrape_config("slm_harness", f"127.0.0.1:{exporter.port}")]
        ) as prometheus,
    ):
        prometheus.wait_until_scraped("slm_harness")
        stamps = []
        for part, expected in ((slice(0, half), half), (slice(half, None), N_REQUESTS)):
            for records in shapes.values():
                for rec in records[part]:
                    exporter.observe(rec)
            # Every shape's count has reached Prometheus: a scrape now holds this part exactly.
            assert prometheus.wait_for(f"min(slm_ttft_seconds_count{{stage!=''}}) == {expected}")
            stamps.append(time.time())
            time.sleep(0.1)
        first, whole = stamps
        errors = Errors()
        for shape, records in shapes.items():
            windows = {
                "first half": (records[:half], "{sel} @ {first}"),
                "second half": (records[half:], "({sel} @ {whole} - {sel} @ {first})"),
                "whole": (records, "{sel} @ {whole}"),
            }
            for window, (part, template) in windows.items():
                samples = _samples_of(part)
                for metric, spec in METRICS.items():
                    sel = f'{spec.name}_bucket{{stage="{shape}"}}'
                    counts = template.format(sel=sel, first=first, whole=whole)

                    def quantile_of(q: float, counts: str = counts) -> float:
                        return _scalar(prometheus, f"histogram_quantile({q}, sum by (le) ({counts}))")

                    errors.check(f"{shape}, {window}", metric, samples[metric], quantile_of)
        print(f"\n{errors.table()}")
