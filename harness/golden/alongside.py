"""Golden sets asked beside a load run, to measure accuracy under load.

The golden runner is asyncio-based and the load driver gevent-based, so the golden rounds
run in a child process (``slm-harness golden run --into RUN_DIR --duration S``). It writes
``golden.parquet`` (one row per item per round) into the load run's directory; the load
run's summary step adds the ``golden`` section with `harness.golden.output.section_for`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

# Time the child gets beyond its duration to finish the round under way and write its file.
FINISH_GRACE_S = 60.0


class GoldenAlongsideError(RuntimeError):
    """The golden child process failed; the message carries its last stderr line."""


class GoldenAlongside:
    """``with GoldenAlongside(...): <run load>``. Rounds start after `delay_s` (e.g. the load's
    warm-up) and none starts after `duration_s` more. Leaving the block waits for the child (up
    to its delay and duration plus a grace); an exception in the block stops it at once."""

    def __init__(
        self,
        sets: list[Path],
        base_url: str,
        model: str,
        run_dir: Path,
        duration_s: float,
        interval_s: float,
        concurrency: int,
        api_key_env: str | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "harness.cli.main",
            "golden",
            "run",
            *[str(p) for p in sets],
            "--endpoint",
            base_url,
            "--model",
            model,
            "--into",
            str(run_dir),
            "--duration",
            f"{duration_s:g}",
            "--interval",
            f"{interval_s:g}",
            "--concurrency",
            str(concurrency),
            "--delay",
            f"{delay_s:g}",
            "--quiet",
        ]
        if api_key_env is not None:
            self.argv += ["--api-key-env", api_key_env]
        self.timeout_s = delay_s + duration_s + FINISH_GRACE_S
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> GoldenAlongside:
        self._stderr = tempfile.TemporaryFile()  # closed in wait() or stop()
        self._proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self._stderr)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.wait()
        else:
            self.stop()

    def wait(self) -> None:
        """Wait for the child to finish; raises GoldenAlongsideError when it failed or hung."""
        proc = self._proc
        assert proc is not None, "not started"
        try:
            code = proc.wait(self.timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            raise GoldenAlongsideError(
                "golden rounds did not finish in time; golden.parquet not written"
            ) from None
        tail = self._stderr_tail()
        self._close()
        if code not in (0, 1):  # 1: every item failed in transport, still a written result
            raise GoldenAlongsideError(f"golden rounds failed (exit code {code}){tail}")

    def stop(self) -> None:
        """Stop the child at once (the load run was interrupted)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._close()

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""

    def _close(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
