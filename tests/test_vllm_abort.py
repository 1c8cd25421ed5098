"""A request the harness abandons is aborted by a real vLLM: its connection is closed at once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from harness.launch.server import LaunchedServer
from harness.records.store import read_records
from tests._load_helpers import run_scenario
from tests.support.parse import metric_sum

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]


def _aborted(server: LaunchedServer) -> int:
    """Requests vLLM aborted because their client went away (it logs each, see conftest)."""
    text = server.log_path.read_text(errors="replace")
    return sum(
        line.split("Aborted request(s) ", 1)[1].count(",") + 1
        for line in text.splitlines()
        if "Aborted request(s) " in line
    )


def _finished(server: LaunchedServer) -> float:
    text = httpx.get(server.metrics_url, trust_env=False).text
    return metric_sum(text, "vllm:request_success_total")


def test_timed_out_requests_are_aborted_by_vllm(tmp_path: Path, vllm_server: LaunchedServer) -> None:
    before, finished_before = _aborted(vllm_server), _finished(vllm_server)
    spec = {
        "name": "vllm-abort",
        "endpoint": {
            "base_url": vllm_server.base_url,
            "model": vllm_server.model_id,
            # 440 tokens take the tiny model on CPU well over a second: every request times out.
            "timeouts": {"first_token_s": 0.1, "total_s": 0.1},
        },
        "workload": {
            "source": {"type": "inline", "prompts": ["Tell me a long story."]},
            "max_tokens": 440,
            "ignore_eos": True,
        },
        "load": {"profile": {"type": "concurrency", "users": 8}, "duration_s": 3},
    }
    run_dir = run_scenario(tmp_path, spec, exit_code=1)
    records = read_records(run_dir)
    timed_out = int(records["error_kind"].isin(["timeout_total", "timeout_first_token"]).sum())
    assert timed_out >= 8 and timed_out == len(records)
    # vLLM saw each client go and aborted its generation, freeing the KV cache. Requests it had
    # already finished when the limit struck (on 2 busy cores the client's timer can fire late)
    # count as finished, not aborted: every abandoned request is one or the other, none runs on.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        aborted, finished = _aborted(vllm_server) - before, _finished(vllm_server) - finished_before
        if aborted + finished >= timed_out:
            break
        time.sleep(0.2)
    assert aborted + finished == timed_out, (aborted, finished)
    assert aborted > 0
    text = httpx.get(vllm_server.metrics_url, trust_env=False).text
    assert metric_sum(text, "vllm:num_requests_running") == 0
