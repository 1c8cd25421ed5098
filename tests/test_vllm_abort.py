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


def _logged(server: LaunchedServer, what: str) -> int:
    """Requests vLLM logged as ``what`` (``Added``, ``Aborted``; it logs each, see conftest):
    ``Added request ID.`` one per line, ``Aborted request(s) ID,ID.`` several."""
    count = 0
    for line in server.log_path.read_text(errors="replace").splitlines():
        if f"{what} request(s) " in line:
            count += line.split(f"{what} request(s) ", 1)[1].count(",") + 1
        elif f"{what} request " in line:
            count += 1
    return count


def _finished(server: LaunchedServer) -> float:
    text = httpx.get(server.metrics_url, trust_env=False).text
    return metric_sum(text, "vllm:request_success_total")


def test_timed_out_requests_are_aborted_by_vllm(tmp_path: Path, vllm_server: LaunchedServer) -> None:
    added_before, aborted_before = _logged(vllm_server, "Added"), _logged(vllm_server, "Aborted")
    finished_before = _finished(vllm_server)
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
    # vLLM saw each client go and aborted its generation, freeing the KV cache. Every request it
    # started was aborted or had already finished when the limit struck (on 2 busy cores the
    # client's timer can fire late); none runs on. A request that timed out before vLLM read it
    # from its socket never started at all.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        added = _logged(vllm_server, "Added") - added_before
        aborted = _logged(vllm_server, "Aborted") - aborted_before
        finished = _finished(vllm_server) - finished_before
        if aborted + finished >= added:
            break
        time.sleep(0.2)
    assert aborted + finished == added <= timed_out, (added, aborted, finished, timed_out)
    assert aborted > 0
    text = httpx.get(vllm_server.metrics_url, trust_env=False).text
    assert metric_sum(text, "vllm:num_requests_running") == 0
