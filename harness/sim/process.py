"""Run the simulator in a child process, for tests and for runs that target it by default.

``with SimProcess(SimConfig(...)) as sim: ... sim.base_url ...`` starts ``python -m harness.sim``,
waits until ``/health`` answers, and stops the child on exit. The child also stops by itself
when this process dies (it watches its stdin pipe), so it is never left orphaned.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from types import TracebackType
from typing import IO

from harness.sim.args import config_to_argv
from harness.sim.config import SimConfig

# The child reads the API key from this variable, so the key never shows in a process list.
API_KEY_ENV = "SLM_SIM_API_KEY"
_READY_PREFIX = b"listening on "
_STOP_TIMEOUT_S = 5.0


class SimProcessError(RuntimeError):
    """The simulator process did not start; the message says why in one line."""


class SimProcess:
    def __init__(self, cfg: SimConfig, *, start_timeout_s: float = 20.0) -> None:
        self.cfg = cfg
        self.start_timeout_s = start_timeout_s
        self.base_url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> SimProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the child and wait until it serves; raises SimProcessError on failure or timeout."""
        env = dict(os.environ)
        if self.cfg.api_key is not None:
            env[API_KEY_ENV] = self.cfg.api_key
        argv = [
            sys.executable,
            "-m",
            "harness.sim",
            *config_to_argv(self.cfg, API_KEY_ENV),
            "--exit-on-stdin-eof",
        ]
        # Stays open for the child's lifetime (closed in stop()), so no context manager.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env
        )
        deadline = time.monotonic() + self.start_timeout_s
        try:
            self.base_url = self._read_url(deadline)
            self._wait_healthy(deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after 5 s) and wait for it; safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(_STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _read_url(self, deadline: float) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        out = b""
        while b"\n" not in out:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SimProcessError(
                    f"simulator did not start within {self.start_timeout_s:g} s{self._stderr_tail()}"
                )
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.1))
            chunk = os.read(fd, 4096) if ready else b""
            if ready and not chunk:
                code = self._proc.wait()
                raise SimProcessError(
                    f"simulator exited with code {code} while starting{self._stderr_tail()}"
                )
            out += chunk
        line = out.split(b"\n", 1)[0].strip()
        if not line.startswith(_READY_PREFIX):
            raise SimProcessError(f"simulator printed {line!r} instead of its URL{self._stderr_tail()}")
        return line[len(_READY_PREFIX) :].decode()

    def _wait_healthy(self, deadline: float) -> None:
        while True:
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=1.0) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SimProcessError(
                    f"simulator at {self.base_url} did not answer /health within {self.start_timeout_s:g} s"
                )
            time.sleep(0.05)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""
