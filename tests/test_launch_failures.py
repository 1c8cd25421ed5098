"""A launch that cannot succeed fails fast with one line, the log tail, and no process left."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from harness.launch.errors import LaunchError
from harness.launch.server import LaunchedServer
from harness.launch.spec import ServerSpec
from tests.support.procs import running
from tests.support.vllm_env import vllm_spec


def python_server(code: str, timeout_s: float = 120.0) -> ServerSpec:
    """A 'server' that is a Python one-liner (extra arguments land in its sys.argv, ignored)."""
    return ServerSpec(
        kind="vllm", model="unused", command=[sys.executable, "-c", code], startup_timeout_s=timeout_s
    )


def test_missing_program_names_it() -> None:
    spec = ServerSpec(kind="llamacpp", model="m.gguf", command=["/nonexistent/llama-server"])
    with pytest.raises(LaunchError) as caught:
        LaunchedServer(spec).start()
    assert str(caught.value) == (
        "llamacpp server program '/nonexistent/llama-server' not found: install it or set the server command"
    )


def test_early_exit_reports_code_last_line_and_keeps_the_log(tmp_path: Path) -> None:
    code = (
        "import sys; print('loading model'); print('ValueError: no such model: m', flush=True); sys.exit(3)"
    )
    server = LaunchedServer(python_server(code), tmp_path)
    started = time.monotonic()
    with pytest.raises(LaunchError) as caught:
        server.start()
    elapsed = time.monotonic() - started
    error = caught.value
    assert str(error) == (
        "vllm server exited with code 3 before it was ready: ValueError: no such model: m"
        f" (log: {tmp_path}/vllm-server.log)"
    )
    assert error.log_tail == ["loading model", "ValueError: no such model: m"]
    assert error.log_path == tmp_path / "vllm-server.log"
    assert error.log_path.read_text() == "loading model\nValueError: no such model: m\n"
    assert elapsed < 30, "the launcher must notice the exit, not wait for the 120 s timeout"


def test_timeout_stops_the_process_and_keeps_the_temporary_log() -> None:
    code = "import os, time; print(os.getpid(), flush=True); time.sleep(600)"
    server = LaunchedServer(python_server(code, timeout_s=1.5))
    with pytest.raises(LaunchError) as caught:
        server.start()
    error = caught.value
    assert error.log_path is not None and error.log_path.is_file()
    pid = int(error.log_path.read_text())
    assert str(error) == f"vllm server not healthy after 1.5 s: {pid} (log: {error.log_path})"
    assert not running(pid)
    assert server.pid is None
    shutil.rmtree(error.log_path.parent)


@pytest.mark.vllm
@pytest.mark.timeout(900)  # the first run builds the cached vLLM venv
def test_vllm_with_a_bad_model_path_fails_with_its_own_reason(tmp_path: Path) -> None:
    spec = vllm_spec(model=Path("/nonexistent/tiny-model"))
    started = time.monotonic()
    with pytest.raises(LaunchError) as caught:
        LaunchedServer(spec, tmp_path).start()
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert message.startswith("vllm server exited with code 1 before it was ready: ")
    assert "/nonexistent/tiny-model" in message and "\n" not in message
    assert len(caught.value.log_tail) == 20
    assert any("Traceback" in line or "Error" in line for line in caught.value.log_tail)
    assert elapsed < spec.startup_timeout_s / 2, f"took {elapsed:.0f} s: the exit went unnoticed"
