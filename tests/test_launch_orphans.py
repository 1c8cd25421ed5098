"""No launched server outlives the harness, however the harness ends.

A child Python process plays the harness (tests/support/launcher_child.py): it launches a real
server, reports the server's pid (= its process group id), and is then killed or exits.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.launch.spec import ServerSpec
from tests.support.llamacpp_env import llamacpp_spec
from tests.support.procs import group_members, running, wait_until_gone
from tests.support.vllm_env import vllm_spec

# The first run on a machine builds the cached vLLM venv and llama-server (~7 min): allow for it.
pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

CHILD = Path(__file__).parent / "support" / "launcher_child.py"


def launch_in_child(
    spec: ServerSpec, mode: str, log_dir: Path
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start the stand-in harness; returns it and what it reported once the server was healthy."""
    fields = {**dataclasses.asdict(spec), "command": list(spec.command or []), "args": list(spec.args)}
    harness = subprocess.Popen(
        [sys.executable, str(CHILD), mode, json.dumps(fields), str(log_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert harness.stdout is not None
    line = harness.stdout.readline()
    assert line, f"the launcher child exited with {harness.wait()} before reporting"
    return harness, json.loads(line)


def test_sigkill_of_the_harness_takes_vllm_and_its_engine_down(tmp_path: Path) -> None:
    harness, server = launch_in_child(vllm_spec(), "hold", tmp_path)
    members = group_members(server["pid"])
    # The API server plus at least its engine-core worker: the check covers the whole tree.
    assert server["pid"] in members and len(members) >= 2, members
    assert httpx.get(server["base_url"] + "/health", trust_env=False).status_code == 200

    os.kill(harness.pid, signal.SIGKILL)
    assert harness.wait() == -signal.SIGKILL
    assert wait_until_gone(members, timeout_s=60) == []
    assert group_members(server["pid"]) == []


def test_sigkill_of_the_harness_takes_llama_server_down(tmp_path: Path) -> None:
    harness, server = launch_in_child(llamacpp_spec(), "hold", tmp_path)
    assert running(server["pid"])
    os.kill(harness.pid, signal.SIGKILL)
    harness.wait()
    assert wait_until_gone([server["pid"]], timeout_s=15) == []


def test_sigterm_of_the_harness_stops_the_server_and_keeps_the_exit_status(tmp_path: Path) -> None:
    harness, server = launch_in_child(llamacpp_spec(), "hold", tmp_path)
    harness.send_signal(signal.SIGTERM)
    assert harness.wait(timeout=30) == -signal.SIGTERM
    assert not running(server["pid"])


def test_normal_exit_without_stop_is_cleaned_up_at_exit(tmp_path: Path) -> None:
    harness, server = launch_in_child(llamacpp_spec(), "exit", tmp_path)
    assert harness.wait(timeout=30) == 0
    assert not running(server["pid"])
