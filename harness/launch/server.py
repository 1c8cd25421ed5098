"""A launched server as a context manager: start, wait until healthy, stop."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from harness.launch import process
from harness.launch.errors import LaunchError
from harness.launch.spec import ServerSpec, free_port

_POLL_S = 0.25


class LaunchedServer:
    """Start `spec` on enter, block until `GET /health` answers 200, stop the process group on exit.

    The server's output goes to `<log_dir>/<kind>-server.log`; without `log_dir` it goes to a
    temporary directory that is removed after a clean stop and kept when the launch fails.
    Raises `LaunchError` (one-line message, `.log_tail` with the last log lines) when the program is
    missing, the process exits early, or it is not healthy within `spec.startup_timeout_s`.
    """

    def __init__(self, spec: ServerSpec, log_dir: Path | None = None, *, stop_grace_s: float = 15.0):
        self.spec = spec
        self.stop_grace_s = stop_grace_s
        self._temp_dir: Path | None = None
        if log_dir is None:
            self._temp_dir = log_dir = Path(tempfile.mkdtemp(prefix="slm-harness-server-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{spec.kind}-server.log"
        self.port = spec.port if spec.port is not None else free_port(spec.host)
        self.argv = spec.argv(self.port)
        self.model_id: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The server root, e.g. `http://127.0.0.1:8000` (the OpenAI API is under `/v1`)."""
        return f"http://{self.spec.host}:{self.port}"

    @property
    def metrics_url(self) -> str:
        """Prometheus metrics (`vllm:*`; `llamacpp:*` needs `--metrics` in `args`)."""
        return f"{self.base_url}/metrics"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def __enter__(self) -> LaunchedServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the process and wait until it is healthy; `model_id` is then the served model name."""
        program = self.argv[0]
        if shutil.which(program) is None:
            self.stop()
            raise LaunchError(
                f"{self.spec.kind} server program {program!r} not found: install it or set the server command"
            )
        self._log = self.log_path.open("ab")
        self._process = process.spawn(self.argv, {**os.environ, **self.spec.env}, self._log)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop(keep_log=True)
            raise

    def stop(self, keep_log: bool = False) -> int | None:
        """Stop the server (idempotent); returns its exit code, None if it never started."""
        code = None
        if self._process is not None:
            code = process.stop(self._process, self.stop_grace_s)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._temp_dir is not None and not keep_log:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
        return code

    def log_tail(self, lines: int = 20) -> list[str]:
        return process.read_tail(self.log_path, lines)

    def _fail(self, problem: str) -> LaunchError:
        tail = self.log_tail()
        last = f": {tail[-1].strip()[:200]}" if tail else ""
        return LaunchError(
            f"{self.spec.kind} server {problem}{last} (log: {self.log_path})",
            log_path=self.log_path,
            log_tail=tail,
        )

    def _wait_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.spec.startup_timeout_s
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                code = self._process.poll()
                if code is not None:
                    raise self._fail(f"exited with code {code} before it was ready")
                try:
                    if client.get(f"{self.base_url}/health").status_code == 200:
                        self.model_id = _served_model(client, self.base_url)
                        return
                except httpx.HTTPError:
                    pass  # not listening yet
                if time.monotonic() >= deadline:
                    raise self._fail(f"not healthy after {self.spec.startup_timeout_s:g} s")
                time.sleep(_POLL_S)


def _served_model(client: httpx.Client, base_url: str) -> str | None:
    """The first model id from `/v1/models`: the name requests must use."""
    try:
        data = client.get(f"{base_url}/v1/models").json().get("data") or []
    except (httpx.HTTPError, ValueError):
        return None
    return str(data[0]["id"]) if data and "id" in data[0] else None
