"""Which machine's clock a timestamp was read on.

Processes on one machine (one boot) read the same ``CLOCK_MONOTONIC``: ``time.monotonic`` and
``time.perf_counter`` in one are directly comparable with those in another. The simulator
stamps its token writes on that clock with this id, so a load generator on the same machine can
measure its own timing error against the moment each token was actually written.
"""

from __future__ import annotations

from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str | None:
    try:
        return _BOOT_ID.read_text().strip() or None
    except OSError:
        return None  # not Linux: no shared clock is claimed


CLOCK_ID: str | None = _boot_id()
