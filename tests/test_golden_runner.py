"""The golden runner against the real simulator: scoring, retries, transport errors kept apart, run dirs."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from harness.analysis.stats import wilson_interval
from harness.golden.accuracy import golden_section
from harness.golden.dataset import GoldenSet, load_set, load_sets
from harness.golden.output import section_for, write_golden_run
from harness.golden.results import results_frame
from harness.golden.runner import GoldenOutput, run_golden, run_rounds
from harness.golden.transport import EndpointSettings, RetryPolicy
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
FAST = {"ttft_ms": 5.0, "itl_ms": 1.0}
QUICK_RETRY = RetryPolicy(max_attempts=3, backoff_s=0.01)


def small_set(folder: Path, n: int = 12) -> GoldenSet:
    path = folder / "tiny.jsonl"
    items = [
        {
            "id": f"t{i}",
            "messages": [{"role": "user", "content": f"Question {i}?"}],
            "expected": f"answer {i}",
            "tags": [f"g{i % 3}"],
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return load_set(path)


def ask(
    golden_sets: list[GoldenSet],
    *,
    policy: RetryPolicy = QUICK_RETRY,
    concurrency: int = 8,
    stream: bool = False,
    **sim: object,
) -> GoldenOutput:
    files = tuple(str(s.path) for s in golden_sets)
    with SimProcess(SimConfig(golden_files=files, **{**FAST, **sim})) as server:  # type: ignore[arg-type]
        settings = EndpointSettings(base_url=server.base_url, model="sim-model", stream=stream)
        return run_golden(golden_sets, settings, concurrency=concurrency, policy=policy)


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    low, high = wilson_interval(227, 227)
    assert high == 1.0 and low == pytest.approx(227 / (227 + 1.959964**2), abs=1e-6)


def test_weights_enter_accuracy_and_the_effective_sample_size() -> None:
    rows = pd.DataFrame(
        {
            "set_name": ["s"] * 4,
            "tags": [["a"], ["a"], ["b"], ["b"]],
            "correct": [True, True, False, True],
            "score": [1.0, 1.0, 0.0, 1.0],
            "weight": [1.0, 1.0, 2.0, 4.0],
            "error_kind": [None, None, None, None],
        }
    )
    section = golden_section(rows)
    assert section["accuracy"] == pytest.approx(6 / 8)
    n_eff = 8**2 / (1 + 1 + 4 + 16)
    assert (section["ci_low"], section["ci_high"]) == pytest.approx(wilson_interval(0.75 * n_eff, n_eff))
    assert section["sets"]["s"]["tags"]["b"]["accuracy"] == pytest.approx(4 / 6)


def test_all_shipped_sets_score_perfectly_when_the_server_is_always_right() -> None:
    golden_sets = load_sets([GOLDEN_DIR])
    output = ask(golden_sets, concurrency=16)
    section = golden_section(results_frame(output.rows))
    assert (section["items"], section["scored"], section["correct"], section["transport_errors"]) == (
        227,
        227,
        227,
        0,
    )
    assert section["ci_low"] == pytest.approx(227 / (227 + 1.959964**2), abs=1e-6)
    assert {name: block["accuracy"] for name, block in section["sets"].items()} == {
        "ledgerly_faq": 1.0,
        "support_intents": 1.0,
        "ticket_extraction": 1.0,
    }


def test_wrong_answers_are_scored_wrong_at_the_simulated_rate() -> None:
    intents = load_set(GOLDEN_DIR / "support_intents.jsonl")
    output = ask([intents], golden_accuracy=0.5, seed=11)
    rows = results_frame(output.rows)
    wrong = rows[~rows["correct"].astype(bool)]
    assert 30 <= len(wrong) <= 82  # Binomial(112, 0.5) stays in this band with probability > 0.9999
    # A wrong answer is another label, which the label scorer extracts and rejects.
    assert (wrong["output"] != wrong["expected"].map(json.loads)).all() and (wrong["score"] == 0.0).all()


@pytest.mark.parametrize(
    ("stream", "faults", "kinds"),
    [
        (False, {"error_rate": 0.25}, {"http_5xx"}),
        (True, {"truncate_rate": 0.15, "reset_rate": 0.15}, {"truncated", "reset"}),
    ],
)
def test_transport_failures_are_retried_until_answered(
    tmp_path: Path, stream: bool, faults: dict[str, Any], kinds: set[str]
) -> None:
    golden_set = small_set(tmp_path, 40)
    policy = RetryPolicy(max_attempts=8, backoff_s=0.01)
    output = ask([golden_set], policy=policy, stream=stream, seed=5, **faults)
    rows = results_frame(output.rows)
    assert rows["error_kind"].isna().all() and rows["correct"].all()
    assert len(output.records) == rows["attempts"].sum() > 40
    failed = [r for r in output.records if not r.ok]
    assert {r.error_kind for r in failed} == kinds
    assert 0.1 < len(failed) / len(output.records) < 0.45


def test_items_the_endpoint_never_answers_are_reported_apart_and_never_scored(tmp_path: Path) -> None:
    golden_set = small_set(tmp_path, 6)
    output = ask([golden_set], error_rate=1.0)
    rows = results_frame(output.rows)
    assert rows["error_kind"].eq("http_5xx").all() and rows["attempts"].eq(3).all()
    assert rows["score"].isna().all() and rows["correct"].isna().all()
    section = golden_section(rows)
    assert (section["scored"], section["transport_errors"], section["accuracy"]) == (0, 6, None)
    assert (section["error_rate"], section["errors_by_kind"]) == (1.0, {"http_5xx": 6})


def test_rate_limits_wait_for_retry_after(tmp_path: Path) -> None:
    golden_set = small_set(tmp_path, 10)
    output = ask(
        [golden_set], policy=RetryPolicy(max_attempts=6, backoff_s=0.01), rate_limit_rate=0.5, seed=2
    )
    assert results_frame(output.rows)["correct"].all()
    by_item: dict[str, list] = {}
    for record in output.records:
        by_item.setdefault(record.prompt_id or "", []).append(record)
    waits = [
        later.sent_at - earlier.sent_at
        for attempts in by_item.values()
        for earlier, later in itertools.pairwise(attempts)
        if earlier.error_kind == "http_429"
    ]
    assert waits and min(waits) >= 1.0  # the simulator sends Retry-After: 1


def test_refused_requests_are_not_retried(tmp_path: Path) -> None:
    golden_set = small_set(tmp_path, 3)
    output = ask([golden_set], api_key="secret")  # the runner sends no key: 401
    rows = results_frame(output.rows)
    assert rows["error_kind"].eq("auth").all() and rows["attempts"].eq(1).all()


def test_streamed_golden_run_writes_a_run_directory(tmp_path: Path) -> None:
    golden_set = small_set(tmp_path, 12)
    output = ask([golden_set], stream=True, ttft_ms=40.0)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    summary = write_golden_run(run_dir, output, "golden", "sim-model", "http://sim", "chat")
    table = pq.read_table(run_dir / "golden.parquet")
    assert table.column_names[:14] == [
        "item_id", "set_name", "tags", "scorer", "expected", "output", "score", "correct",
        "weight", "latency_s", "n_in", "n_out", "error_kind", "attempts",
    ]  # fmt: skip
    assert table.num_rows == 12
    on_disk = json.loads((run_dir / "summary.json").read_text())
    assert on_disk["golden"]["accuracy"] == 1.0 == summary["golden"]["sets"]["tiny"]["accuracy"]
    assert set(on_disk["golden"]["sets"]["tiny"]["tags"]) == {"g0", "g1", "g2"}
    # Streaming records TTFT: the simulator's 40 ms plus a little transport.
    assert on_disk["requests"]["completed"] == 12
    assert 40.0 <= on_disk["latency"]["ttft_ms"]["p50"] < 120.0
    assert section_for(run_dir) == on_disk["golden"]


def test_rounds_repeat_the_set_for_the_duration(tmp_path: Path) -> None:
    golden_set = small_set(tmp_path, 4)
    with SimProcess(SimConfig(golden_files=(str(golden_set.path),), **FAST)) as server:  # type: ignore[arg-type]
        settings = EndpointSettings(base_url=server.base_url, model="sim-model")
        started = time.monotonic()
        output = asyncio.run(
            run_rounds([golden_set], settings, 4, QUICK_RETRY, duration_s=1.0, interval_s=0.25)
        )
        elapsed = time.monotonic() - started
    rows = results_frame(output.rows)
    assert 3 <= output.rounds <= 5 and len(rows) == 4 * output.rounds
    assert sorted(rows["round"].unique()) == list(range(output.rounds))
    assert elapsed < 1.6
