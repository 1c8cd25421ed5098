"""Every fault is blamed on the right party: real harness runs against an endpoint that
misbehaves on purpose (tests/support/fault_endpoint.py), one behaviour per prompt."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from harness.launch.process import spawn, stop
from harness.records.store import read_records
from tests._load_helpers import ROOT, cli, run_scenario, summary_of, write_scenario
from tests.support.fault_endpoint import BEHAVIOURS, HUGE_CHUNK_CHARS, REASONING_S, SLOW_HEADERS_S

BEHAVIOUR_NAMES = list(BEHAVIOURS)


class FaultEndpoint:
    def __init__(self, tmp: Path) -> None:
        self.log = tmp / "fault-endpoint.log"
        with self.log.open("wb") as out:
            script = ROOT / "tests" / "support" / "fault_endpoint.py"
            self.proc = spawn([sys.executable, str(script)], env=os.environ, log=out)
        self.base_url = self._url()

    def _url(self) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for line in self.log.read_text().splitlines():
                if line.startswith("listening on "):
                    return line.removeprefix("listening on ")
            time.sleep(0.05)
        raise RuntimeError(f"fault endpoint did not start: {self.log.read_text()[-500:]}")

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.base_url}/stats", timeout=5).json()


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[FaultEndpoint]:
    server = FaultEndpoint(tmp_path)
    try:
        yield server
    finally:
        stop(server.proc, grace_s=2)


def _spec(base_url: str, names: list[str], **load: Any) -> dict[str, Any]:
    return {
        "name": "blame",
        "endpoint": {
            "base_url": base_url,
            "model": "fault-model",
            "timeouts": {"connect_s": 2, "first_token_s": 1.0, "total_s": 2.0},
        },
        "workload": {"source": {"type": "inline", "prompts": names}, "max_tokens": 16},
        "load": {"profile": {"type": "concurrency", "users": 8}, "duration_s": 8, **load},
    }


def test_every_behaviour_is_classified_and_records_equal_what_the_endpoint_received(
    tmp_path: Path, endpoint: FaultEndpoint
) -> None:
    run_dir = run_scenario(tmp_path, _spec(endpoint.base_url, BEHAVIOUR_NAMES))
    stats = endpoint.stats()
    records = read_records(run_dir)
    records["behaviour"] = [BEHAVIOUR_NAMES[int(i.split("-")[1])] for i in records["prompt_id"]]
    for name, kind in BEHAVIOURS.items():
        rows = records[records["behaviour"] == name]
        assert len(rows) > 0, name
        # Every request the harness recorded reached the endpoint, and nothing it received is missing.
        assert len(rows) == stats["received"][name], (name, len(rows), stats["received"].get(name))
        kinds = rows["error_kind"].fillna("ok").value_counts().to_dict()
        assert kinds == {kind or "ok": len(rows)}, (name, kinds)

    # Abandoned requests closed their connection: the endpoint saw every one of them go.
    for name in ("slow_first_token", "stall_midstream"):
        assert stats["aborted"][name] == stats["received"][name], name
    # Closed keep-alive connections cost a resend on a fresh connection, never an endpoint error.
    assert stats["stale_closed"] > 0
    assert int(records["stale_retries"].sum()) == stats["stale_closed"]
    assert not records["error_kind"].isin(["connect", "timeout_connect", "client"]).any()

    def of(name: str) -> Any:
        return records[(records["behaviour"] == name) & records["ok"]]

    # First-token timeouts fire at the limit counted from the write, not from a wait for a socket.
    timed_out = records[records["error_kind"] == "timeout_first_token"]["e2e_s"].to_numpy()
    assert np.all((timed_out >= 1.0) & (timed_out < 1.5))
    assert (of("slow_headers")["ttft_s"] >= SLOW_HEADERS_S).all()
    thinking = of("reasoning")
    assert (thinking["ttfc_s"] >= REASONING_S).all() and (thinking["ttft_s"] < thinking["ttfc_s"]).all()
    assert (of("huge_chunk")["n_out"] == HUGE_CHUNK_CHARS).all()
    assert of("whole_json")["ttft_s"].isna().all() and of("whole_json")["e2e_s"].notna().all()
    # Four tokens in a chunk are not a token-count mismatch.
    multi = of("multi_token_chunks")
    assert (multi["n_out"] == 8).all() and (multi["n_content_chunks"] == 2).all()
    s = summary_of(run_dir)
    assert s["tokens"]["mismatch_rate"] is None
    assert not any("disagree" in w for w in s["health"]["warnings"])
    by_kind = s["errors"]["by_kind"]
    measured = records[records["phase"] == "measure"]
    assert {k: v for k, v in by_kind.items() if v} == measured["error_kind"].value_counts().to_dict()


def test_answers_that_are_not_streamed_have_no_ttft_or_tpot(tmp_path: Path, endpoint: FaultEndpoint) -> None:
    spec = _spec(endpoint.base_url, ["ok"], duration_s=2)
    spec["endpoint"]["stream"] = False
    spec["slo"] = {"ttft_ms": 100, "e2e_ms": 5000}
    proc = cli("run", str(write_scenario(tmp_path, spec)), "--out", str(tmp_path / "runs"), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    # An endpoint without server metrics is said once, as a note, not as a warning.
    said = [line for line in proc.stderr.splitlines() if "server metrics unavailable" in line]
    assert len(said) == 1 and said[0].startswith("note: "), said
    s = summary_of(Path(proc.stdout.strip().splitlines()[-1]))
    assert s["requests"]["completed"] > 10 and s["errors"]["rate"] == 0
    assert s["latency"]["ttft_ms"]["p50"] is None and s["latency"]["tpot_ms"]["p50"] is None
    assert s["latency"]["e2e_ms"]["p50"] > 0
    assert s["goodput"]["not_measurable"] == ["ttft_ms"] and s["goodput"]["slo_attainment"] == 1.0
    assert any("ttft_ms not judged" in w for w in s["health"]["warnings"])


def test_a_connection_that_is_never_accepted_is_a_connect_timeout(tmp_path: Path) -> None:
    # A listening socket whose accept queue is full drops new SYNs: connecting hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler = socket.create_connection(("127.0.0.1", port))
        spec = _spec(f"http://127.0.0.1:{port}", ["ok"], duration_s=2)
        spec["endpoint"]["timeouts"]["connect_s"] = 0.5
        spec["load"]["profile"]["users"] = 2
        run_dir = run_scenario(tmp_path, spec, exit_code=1)
        filler.close()
    records = read_records(run_dir)
    assert len(records) >= 2 and (records["error_kind"] == "timeout_connect").all()
    assert np.all(np.abs(records["e2e_s"].to_numpy() - 0.5) < 0.25)
    assert summary_of(run_dir)["errors"]["by_kind"]["connect"] == 0
