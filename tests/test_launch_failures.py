"""A launch that cannot succeed fails fast with one line, the log tail, and no process left."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from harness.launch import LaunchedServer, LaunchError, ServerSpec
from tests.support.procs import running
from tests.support.vllm_env import vllm_spec


def python_server(code: str, timeout_s: float = 120.0) -> ServerSpec:
    """A 'server' that is a Python one-liner (extra arguments land in its sys.argv, ignored)."""
    return ServerSpec(kind="vllm", model="unused", command=[sys.executable, "-c", code], startup_timeout_s=timeout_s)


def test_missing_program_names_it() -> None:
    spec = ServerSpec(kind="llamacpp", model="m.gguf", command=["/nonexistent/llama-server"])
    with pytest.raises(LaunchError) as caught:
        LaunchedServer(spec).start()
    assert str(caught.value) == (
        "llamacpp server program '/nonexistent/llama-server' not found: install it or set the server command"
    )


def test_early_exit_reports_code_last_line_and_keeps_the_log(tmp_path: Path) -> None:
    code = "import sys; print('loading model'); print('ValueError: no such model: m', flush=True); sys.exit(3)"
    server = LaunchedServer(python_server(code), tmp_path)
    started = time.monotonic()
    with pytest.raises(LaunchError) as caught:
        server.start()
    elapsed = time.monotonic() - started
    error = caught.value
    assert str(error) == (
        f"vllm server exited with code 3 before it was ready: ValueError: no such model: m (log: {tmp_path}/vllm-server.log)"
    )
    assert error.log_tail == ["loading model", "ValueError: no such model: m"]
    assert error.log_path == tmp_path / "vllm-server.log"
    assert error.log_path.read_text() == "loading model\nValueError: no such model: m\n"
    assert elapsed < 30, "the launcher must notice the exit, not wait for the 120 s timeout"


def test_timeout_stops_the_process_and_keeps_the_temporary_log() -> None:
    server = LaunchedServer(python_server("import time; print('stuck', flush=True); time.sleep(600)", 1.5))
    with pytest.raises(LaunchError) as caught:
        server.start()
    pid = caught.value.log_path and server.argv and server  # the server object still knows its log
    assert pid is not None
    assert str(caught.value).startswith("vllm server not healthy after 1.5 s: stuck (log: ")
    assert caught.value.log_path is not None and caught.value.log_path.read_text() == "stuck\n"
    assert server.pid is None
