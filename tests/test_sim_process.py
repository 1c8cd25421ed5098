"""SimProcess and ``python -m harness.sim``: start, stop, no orphans, flags, one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from harness.sim.args import config_to_argv, parse_config
from harness.sim.config import SimConfig, SimConfigError
from harness.sim.process import API_KEY_ENV, SimProcess


def _gone(pid: int) -> bool:
    """True when the process no longer runs (exited, or a zombie nobody reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def _wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_sim_process_serves_then_stops() -> None:
    with SimProcess(SimConfig(ttft_ms=1, itl_ms=1, model="tiny")) as sim:
        pid = sim.pid
        assert pid is not None and not _gone(pid)
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{sim.base_url}/v1/models").json()["data"][0]["id"] == "tiny"
    assert _gone(pid)


def test_sim_process_stops_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), SimProcess(SimConfig()) as sim:
        pid = sim.pid
        raise RuntimeError("boom")
    assert pid is not None and _gone(pid)


def test_child_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from harness.sim.config import SimConfig
        from harness.sim.process import SimProcess
        sim = SimProcess(SimConfig())
        sim.start()
        print(sim.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert not _gone(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _wait_gone(child), f"simulator {child} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_api_key_travels_through_the_environment() -> None:
    cfg = SimConfig(api_key="k-123", ttft_ms=1, itl_ms=1)
    assert "k-123" not in config_to_argv(cfg, API_KEY_ENV)
    with SimProcess(cfg) as sim:
        body = {"messages": [{"role": "user", "content": "x"}], "max_tokens": 1}
        url = f"{sim.base_url}/v1/chat/completions"
        assert httpx.post(url, json=body).status_code == 401
        assert httpx.post(url, json=body, headers={"Authorization": "Bearer k-123"}).status_code == 200


def test_flags_round_trip_to_the_same_config(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = SimConfig(
        host="127.0.0.2",
        port=8123,
        model="m",
        api_key="key",
        ttft_ms=12.5,
        itl_ms=3.0,
        prefill_ms_per_token=0.1,
        batch_slowdown=0.5,
        jitter_ms=1.0,
        max_num_seqs=8,
        kv_capacity_tokens=5000,
        output_tokens=10,
        seed=9,
        error_rate=0.1,
        rate_limit_rate=0.2,
        stall_rate=0.3,
        stall_ms=50.0,
        truncate_rate=0.4,
        malformed_rate=0.5,
        reset_rate=0.6,
        midstream_error_rate=0.7,
        golden_files=("a.jsonl", "b.jsonl"),
        golden_accuracy=0.9,
        golden_accuracy_by_tag={"billing": 0.25, "x=y": 1.0},
        drift_profile="slower",
    )
    monkeypatch.setenv("MY_KEY", "key")
    parsed, watch = parse_config([*config_to_argv(cfg, "MY_KEY"), "--exit-on-stdin-eof"])
    assert parsed == cfg and watch
    assert parse_config([]) == (SimConfig(), False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--error-rate", "1.5"], "error_rate = 1.5; use a probability between 0 and 1"),
        (["--max-num-seqs", "0"], "max_num_seqs = 0; use an integer >= 1"),
        (["--drift-profile", "nope"], "drift_profile = 'nope'; use one of none, slower"),
        (["--golden-accuracy-tag", "billing"], "--golden-accuracy-tag 'billing': write TAG=P"),
        (["--api-key-env", "SURELY_UNSET_VAR_123"], "--api-key-env SURELY_UNSET_VAR_123: that environment"),
    ],
)
def test_bad_settings_are_one_line_errors(argv: list[str], message: str) -> None:
    with pytest.raises(SimConfigError) as info:
        parse_config(argv)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_module_cli_prints_the_url_and_reports_errors() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SURELY_UNSET_VAR_123"}
    bad = subprocess.run(
        [sys.executable, "-m", "harness.sim", "--reset-rate", "-1"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2
    assert bad.stderr == "error: sim config: reset_rate = -1.0; use a probability between 0 and 1\n"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.sim", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        assert httpx.get(line.split()[-1] + "/health").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_port_in_use_is_a_one_line_error() -> None:
    with SimProcess(SimConfig()) as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        bad = subprocess.run(
            [sys.executable, "-m", "harness.sim", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert bad.returncode == 2
    assert bad.stderr.startswith(f"error: sim config: cannot listen on 127.0.0.1:{port}")
    assert bad.stderr.count("\n") == 1
