"""When each token of a sequence is due.

Deadlines are absolute times on the event loop's monotonic clock: token ``i + 1`` is due one
decode step after token ``i`` was *due* (not after it was written), so event-loop lateness
never accumulates along a stream.
"""

from __future__ import annotations

import asyncio
import random

from harness.sim.config import SimConfig
from harness.sim.profiles import DriftProfile
from harness.sim.scheduler import Scheduler


class TokenClock:
    """TTFT and decode-step durations in seconds, with the drift profile's latency scale applied."""

    def __init__(self, cfg: SimConfig, profile: DriftProfile, scheduler: Scheduler) -> None:
        scale = profile.latency_scale / 1000.0
        self._ttft_s = cfg.ttft_ms * scale
        self._prefill_s_per_token = cfg.prefill_ms_per_token * scale
        self._itl_s = cfg.itl_ms * scale
        self._slowdown_per_seq = cfg.batch_slowdown / cfg.max_num_seqs
        self._jitter_s = cfg.jitter_ms / 1000.0
        self._scheduler = scheduler

    def first_token_delay(self, prompt_tokens: int, rng: random.Random | None) -> float:
        """Admission to first token: TTFT plus prefill of the prompt."""
        return self._jittered(self._ttft_s + prompt_tokens * self._prefill_s_per_token, rng)

    def step(self, rng: random.Random | None) -> float:
        """One decode step at the current batch size."""
        running = self._scheduler.running
        return self._jittered(self._itl_s * (1.0 + self._slowdown_per_seq * (running - 1)), rng)

    def request_rng(self, server_rng: random.Random) -> random.Random | None:
        """A per-request RNG for jitter (None when there is no jitter), seeded from the server's."""
        return random.Random(server_rng.getrandbits(64)) if self._jitter_s > 0 else None

    def _jittered(self, seconds: float, rng: random.Random | None) -> float:
        if rng is None:
            return seconds
        return max(0.0, seconds + rng.uniform(-self._jitter_s, self._jitter_s))


async def sleep_until(deadline: float) -> None:
    """Sleep until ``deadline`` (loop clock); when already late, still yield once so streams stay fair."""
    delay = deadline - asyncio.get_running_loop().time()
    await asyncio.sleep(delay if delay > 0 else 0)
