"""The run log (``harness.log`` in the run directory), with secrets kept out of it."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from harness.records.rundir import LOG_FILE

_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)


class RedactingFilter(logging.Filter):
    """Masks bearer tokens and the values of any environment variables named as secrets."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = _BEARER.sub(r"\1***", record.getMessage())
        for secret in self.secrets:
            message = message.replace(secret, "***")
        record.msg, record.args = message, None
        return True


def secret_values() -> list[str]:
    """Values of environment variables whose names say they hold a secret."""
    names = ("KEY", "TOKEN", "SECRET", "PASSWORD")
    return [v for k, v in os.environ.items() if any(n in k.upper() for n in names) and len(v) >= 8]


def attach_run_log(run_dir: Path) -> Callable[[], None]:
    """Log the ``harness`` loggers to the run directory; returns the function that detaches it."""
    handler = logging.FileHandler(run_dir / LOG_FILE)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secret_values()))
    logger = logging.getLogger("harness")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    def detach() -> None:
        logger.removeHandler(handler)
        handler.close()

    return detach
