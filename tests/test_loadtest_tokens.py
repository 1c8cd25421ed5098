"""Token counts: the server's usage first; else the endpoint's tokenizer; else chunks, flagged."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from harness.records.store import read_records
from harness.sim.config import SimConfig
from harness.sim.process import SimProcess
from tests._load_helpers import cli, inline_workload, run_scenario, summary_of, write_scenario

N_OUT = 12


def _word_tokenizer(path: Path) -> Path:
    """A word-level tokenizer: one token per whitespace-separated word."""
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.train_from_iterator(["hello world"], trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def sim() -> SimProcess:
    with SimProcess(SimConfig(ttft_ms=10, itl_ms=1, seed=3)) as s:
        yield s


def _spec(sim: SimProcess, **endpoint: object) -> dict:
    return {
        "name": "tokens",
        "endpoint": {"base_url": sim.base_url, "model": "sim-model", **endpoint},
        "workload": inline_workload(N_OUT, ignore_eos=True),
        "load": {"profile": {"type": "concurrency", "users": 2}, "duration_s": 2},
    }


def test_without_usage_the_tokenizer_counts(tmp_path: Path, sim: SimProcess) -> None:
    tokenizer = _word_tokenizer(tmp_path / "tokenizer.json")
    run_dir = run_scenario(tmp_path, _spec(sim, include_usage=False, tokenizer=str(tokenizer)))
    s = summary_of(run_dir)
    assert s["tokens"]["source"] == "tokenizer"
    assert s["tokens"]["estimated"] is False
    records = read_records(run_dir)
    ok = records[records["ok"]]
    assert (ok["token_source"] == "tokenizer").all()
    assert (ok["n_out"] == N_OUT).all()  # the simulator's tokens are single words
    # Only usage and the tokenizer are ever compared; a chunk count is not a token count.
    assert ok["n_out_alt"].isna().all()
    assert s["tokens"]["mismatch_rate"] is None
    # The prompt counted locally too: "Say something." / "Tell me about load testing." in words.
    assert set(ok["n_in"]) <= {2, 5}


def test_with_usage_the_tokenizer_is_the_second_count(tmp_path: Path, sim: SimProcess) -> None:
    tokenizer = _word_tokenizer(tmp_path / "tokenizer.json")
    run_dir = run_scenario(tmp_path, _spec(sim, tokenizer=str(tokenizer)))
    s = summary_of(run_dir)
    assert s["tokens"]["source"] == "usage"
    records = read_records(run_dir)
    ok = records[records["ok"]]
    assert (ok["n_out"] == N_OUT).all() and (ok["n_out_alt"] == N_OUT).all()
    assert s["tokens"]["mismatch_rate"] == 0.0


def test_without_usage_or_tokenizer_chunks_are_an_estimate(tmp_path: Path, sim: SimProcess) -> None:
    run_dir = run_scenario(tmp_path, _spec(sim, include_usage=False))
    s = summary_of(run_dir)
    assert s["tokens"]["source"] == "chunks"
    assert s["tokens"]["estimated"] is True
    assert any("estimated" in w for w in s["health"]["warnings"])


def test_a_file_that_is_no_tokenizer_is_a_config_error(tmp_path: Path, sim: SimProcess) -> None:
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{not json")
    proc = cli("run", str(write_scenario(tmp_path, _spec(sim, tokenizer=str(bad)))), "--quiet")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "endpoint.tokenizer" in lines[0] and "tokenizer.json" in lines[0]
