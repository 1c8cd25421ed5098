"""The one error a launch raises."""

from __future__ import annotations

from pathlib import Path


class LaunchError(RuntimeError):
    """A server did not start. `str()` is one line; `log_tail` holds the server's last log lines."""

    def __init__(self, message: str, *, log_path: Path | None = None, log_tail: list[str] | None = None):
        super().__init__(message)
        self.log_path = log_path
        self.log_tail = log_tail or []
