"""A periodic loop on a daemon thread, for samplers that run beside the load.

In the load process gevent has patched ``threading`` and ``time``, so the thread is a greenlet
and the waits yield to the load's greenlets; unpatched it is an ordinary thread. Ticks follow a
fixed schedule (``start + k * interval``) so sampling does not drift, and a tick that overran
skips the missed slots instead of bursting to catch up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("harness.telemetry")


class Poller:
    def __init__(self, name: str, interval_s: float, tick: Callable[[], None]) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self._name = name
        self._interval_s = interval_s
        self._tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._logged: set[str] = set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and wait for a tick in progress to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def tick(self) -> None:
        """Run one tick now; a failure is logged (once per distinct message) and the loop goes on."""
        try:
            self._tick()
        except Exception as e:
            message = f"{type(e).__name__}: {e}"
            if message not in self._logged:
                self._logged.add(message)
                log.warning("%s: a sample failed and was skipped: %s", self._name, message)

    def _run(self) -> None:
        next_at = time.monotonic() + self._interval_s
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            self.tick()
            next_at += self._interval_s
            now = time.monotonic()
            if next_at < now:
                next_at = now + self._interval_s
